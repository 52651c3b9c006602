"""Zuständigkeiten: which authority provides which service for which area.

Most responsibilities follow from the structure of municipal law (see `resolution`); a
`Zustaendigkeit` records the exceptions and the designated authorities of Land and Bund
services. The most specific area wins: Gemeinde before Verband before Kreis before Land.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.authorities.types import Authority
from verbund.catalogue.types import Service
from verbund.core.models import TimeStampedModel
from verbund.gebiete.types import Gebiet, Level


class Zustaendigkeit(TimeStampedModel):
    """An explicit responsibility: `authority` provides `service` for `gebiet`."""

    service = models.ForeignKey(
        Service,
        verbose_name=_("Leistung"),
        on_delete=models.CASCADE,
        related_name="zustaendigkeiten",
    )
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.CASCADE,
        related_name="zustaendigkeiten",
    )
    gebiet = models.ForeignKey(
        Gebiet,
        verbose_name=_("Gebiet"),
        on_delete=models.PROTECT,
        related_name="zustaendigkeiten",
        help_text=_("Gemeinde, Gemeindeverband, Kreis or Land for which the authority acts."),
    )
    note = models.CharField(
        _("Hinweis"),
        max_length=300,
        blank=True,
        help_text=_("Shown to citizens as the reason, e.g. the legal basis."),
    )
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)

    class Meta:
        verbose_name = _("Zuständigkeit")
        verbose_name_plural = _("Zuständigkeiten")
        ordering = ["service__slug", "gebiet__ars"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "authority", "gebiet"], name="zustaendigkeit_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} · {self.gebiet.name} → {self.authority}"

    def clean(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("Das Ende liegt vor dem Beginn der Gültigkeit.")}
            )
        if self.gebiet_id and self.gebiet.level == Level.REGIERUNGSBEZIRK:
            raise ValidationError({"gebiet": _("Bitte Gemeinde, Verband, Kreis oder Land.")})

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class CacheState(models.Model):
    """One row whose token changes with every write the finder's per-process cache depends
    on; a process compares it to the token of its snapshot (see `resolution.snapshot`)."""

    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("Zwischenspeicher-Stand")
        verbose_name_plural = _("Zwischenspeicher-Stand")

    def __str__(self) -> str:
        return str(self.token)
