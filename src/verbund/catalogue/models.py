"""The service catalogue: Leistungen with their LeiKa/FIM fields."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.core.models import TimeStampedModel


class Level(models.TextChoices):
    """Which level of government executes the service in the Land."""

    GEMEINDE = "gemeinde", _("Gemeinde")
    KREIS = "kreis", _("Kreis")
    LAND = "land", _("Land")
    BUND = "bund", _("Bund")


class Wirkungskreis(models.TextChoices):
    """For Gemeinde services: own affairs (eigen) or tasks delegated by the state."""

    EIGEN = "eigen", _("eigener Wirkungskreis")
    UEBERTRAGEN = "uebertragen", _("übertragener Wirkungskreis")


class Service(TimeStampedModel):
    """A Leistung. Curated services carry the texts citizens read; the LeiKa base catalogue
    adds every other key with its official name only."""

    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    leika_key = models.CharField(_("Leistungsschlüssel"), max_length=14, blank=True, db_index=True)
    name = models.CharField(_("Leistungsbezeichnung"), max_length=300)
    name_2 = models.CharField(_("Leistungsbezeichnung II"), max_length=300, blank=True)
    short_text = models.TextField(_("Kurztext"), blank=True)
    full_text = models.TextField(_("Volltext"), blank=True)
    level = models.CharField(_("Vollzugsebene"), max_length=10, choices=Level.choices, blank=True)
    wirkungskreis = models.CharField(
        _("Wirkungskreis"), max_length=12, choices=Wirkungskreis.choices, blank=True
    )
    office = models.CharField(
        _("zuständige Stelle (Art)"),
        max_length=200,
        blank=True,
        help_text=_("The kind of office that handles it, e.g. Meldebehörde."),
    )
    is_curated = models.BooleanField(_("redaktionell gepflegt"), default=False, db_index=True)

    class Meta:
        verbose_name = _("Leistung")
        verbose_name_plural = _("Leistungen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
