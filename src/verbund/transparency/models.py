"""Precomputed aggregate figures of the transparency dashboard (decision 0021).

The pages never count records: `actions.aggregate_figures` fills `Figure` from the records of
the other domains in one transaction, and the dashboard reads a region's rows by index."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    LAND = "land", _("Land")
    KREIS = "kreis", _("Kreis")
    GEMEINDE = "gemeinde", _("Gemeinde")


class AggregationRun(models.Model):
    """One run of `verbund aggregate-figures`; its figures replace those of the run before."""

    computed_at = models.DateTimeField(_("berechnet am"))
    land_key = models.CharField(_("Land"), max_length=2)
    figures = models.PositiveIntegerField(_("Kennzahlen"), default=0)
    source_digest = models.CharField(
        _("Prüfsumme der Kennzahlen"),
        max_length=64,
        help_text=_("SHA-256 over the figures: two runs over the same records agree."),
    )

    class Meta:
        verbose_name = _("Berechnung der Kennzahlen")
        verbose_name_plural = _("Berechnungen der Kennzahlen")
        ordering = ["-computed_at"]

    def __str__(self) -> str:
        return f"{self.land_key} {self.computed_at:%Y-%m-%d %H:%M}"


class Figure(models.Model):
    """One number: a measure of a region, optionally per month (`period` YYYY-MM) and per
    service. `cases` is the number of records it stands on; the pages suppress fewer than 5."""

    level = models.CharField(_("Ebene"), max_length=10, choices=RegionLevel.choices)
    key = models.CharField(_("Schlüssel (AGS)"), max_length=8)
    measure = models.CharField(_("Kennzahl"), max_length=40)
    period = models.CharField(_("Monat"), max_length=7, blank=True)
    service = models.CharField(_("Leistung"), max_length=80, blank=True)
    value = models.FloatField(_("Wert"), null=True, blank=True)
    cases = models.PositiveIntegerField(_("Fälle"), default=0)

    class Meta:
        verbose_name = _("Kennzahl")
        verbose_name_plural = _("Kennzahlen")
        ordering = ["level", "key", "measure", "period", "service"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "key", "measure", "period", "service"],
                name="transparency_figure_unique",
            )
        ]
        indexes = [models.Index(fields=["measure", "level"], name="transparency_measure_level")]

    def __str__(self) -> str:
        return f"{self.level} {self.key} {self.measure} {self.period} {self.service}".strip()
