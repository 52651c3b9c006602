"""Accounts of the Servicekonto: citizens, organisations, authority staff, Land operators."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """One login. What the holder may do follows from `kind` and, for staff, from their
    memberships in authorities (`authorities.StaffMembership`)."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Bürgerin oder Bürger")
        ORGANISATION = "organisation", _("Organisation")
        STAFF = "staff", _("Beschäftigte einer Behörde")
        OPERATOR = "operator", _("Betrieb der Landesplattform")

    kind = models.CharField(
        _("Kontoart"), max_length=20, choices=Kind.choices, default=Kind.CITIZEN
    )

    class Meta:
        verbose_name = _("Konto")
        verbose_name_plural = _("Konten")

    def __str__(self) -> str:
        return self.get_username()
