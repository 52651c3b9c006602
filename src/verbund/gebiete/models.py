"""The territorial directory: Land, Regierungsbezirke, Kreise, Gemeindeverbände, Gemeinden.

All units live in one table, `Gebiet`, distinguished by `level`, because responsibilities,
authorities and open-data coverage refer to "an area" of any level. The proxy models
(`Land`, `Kreis`, `Gemeindeverband`, `Gemeinde`) give each level its own manager.

Keys follow Destatis: the AGS (8 digits for a Gemeinde, 5 for a Kreis, 3 for a
Regierungsbezirk, 2 for a Land) and the ARS (12 digits: Land 2, RB 1, Kreis 2,
Gemeindeverband 4, Gemeinde 3). A Gemeindeverband has no AGS; its key is Kreis + Verband
(9 digits). A kreisfreie Stadt is a Kreis and a Gemeinde at once and shares one ARS.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.core.models import TimeStampedModel


class Level(models.TextChoices):
    LAND = "land", _("Land")
    REGIERUNGSBEZIRK = "regierungsbezirk", _("Regierungsbezirk")
    KREIS = "kreis", _("Kreis")
    VERBAND = "verband", _("Gemeindeverband")
    GEMEINDE = "gemeinde", _("Gemeinde")


class GebietType(models.TextChoices):
    """Types of the GV100AD directory (Destatis codes in `GV100AD_TYPES`)."""

    LAND = "land", _("Land")
    REGIERUNGSBEZIRK = "regierungsbezirk", _("Regierungsbezirk")
    # Kreise
    KREISFREIE_STADT = "kreisfreie_stadt", _("Kreisfreie Stadt")
    STADTKREIS = "stadtkreis", _("Stadtkreis")
    KREIS = "kreis", _("Kreis")
    LANDKREIS = "landkreis", _("Landkreis")
    REGIONALVERBAND = "regionalverband", _("Regionalverband")
    # Gemeindeverbände
    AMT = "amt", _("Amt")
    SAMTGEMEINDE = "samtgemeinde", _("Samtgemeinde")
    VERBANDSGEMEINDE = "verbandsgemeinde", _("Verbandsgemeinde")
    VERWALTUNGSGEMEINSCHAFT = "verwaltungsgemeinschaft", _("Verwaltungsgemeinschaft")
    KIRCHSPIELSLANDGEMEINDE = "kirchspielslandgemeinde", _("Kirchspielslandgemeinde")
    VERWALTUNGSVERBAND = "verwaltungsverband", _("Verwaltungsverband")
    VG_TRAEGERMODELL = "vg_traegermodell", _("Verwaltungsgemeinschaft (Trägermodell)")
    ERFUELLENDE_GEMEINDE = "erfuellende_gemeinde", _("Erfüllende Gemeinde")
    # Gemeinden
    MARKT = "markt", _("Markt")
    STADT = "stadt", _("Stadt")
    GEMEINDE = "gemeinde", _("Gemeinde")
    GEMEINDEFREIES_GEBIET = "gemeindefreies_gebiet", _("Gemeindefreies Gebiet")
    GROSSE_KREISSTADT = "grosse_kreisstadt", _("Große Kreisstadt")


class GebietQuerySet(models.QuerySet["Gebiet"]):
    def current(self) -> GebietQuerySet:
        """Units valid in the newest imported Gebietsstand (ended ones are kept for history)."""
        return self.filter(valid_until__isnull=True)


class LevelManager(models.Manager["Gebiet"]):
    def __init__(self, level: str | None = None) -> None:
        super().__init__()
        self.level = level

    def get_queryset(self) -> GebietQuerySet:
        qs = GebietQuerySet(self.model, using=self._db)
        return qs.filter(level=self.level) if self.level else qs

    def current(self) -> GebietQuerySet:
        return self.get_queryset().current()


class Gebiet(TimeStampedModel):
    level = models.CharField(_("Ebene"), max_length=20, choices=Level.choices)
    key = models.CharField(
        _("Schlüssel"),
        max_length=12,
        help_text=_("AGS of the unit; for a Gemeindeverband Kreis + Verband (9 digits)."),
    )
    ars = models.CharField(_("Regionalschlüssel (ARS)"), max_length=12, db_index=True)
    ags = models.CharField(_("Gemeindeschlüssel (AGS)"), max_length=8, blank=True, db_index=True)
    name = models.CharField(_("Name"), max_length=120)
    type = models.CharField(_("Typ"), max_length=30, choices=GebietType.choices)
    seat = models.CharField(_("Verwaltungssitz"), max_length=120, blank=True)
    land = models.ForeignKey(
        "self",
        verbose_name=_("Land"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    regierungsbezirk = models.ForeignKey(
        "self",
        verbose_name=_("Regierungsbezirk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kreis = models.ForeignKey(
        "self",
        verbose_name=_("Kreis"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kreis_members",
    )
    verband = models.ForeignKey(
        "self",
        verbose_name=_("Gemeindeverband"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verband_members",
    )
    erfuellende_gemeinde = models.ForeignKey(
        "self",
        verbose_name=_("erfüllende Gemeinde"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "For a Gemeindeverband of type erfüllende Gemeinde: the Gemeinde that "
            "performs the delegated tasks of the members."
        ),
    )
    area_ha = models.PositiveIntegerField(_("Fläche (ha)"), null=True, blank=True)
    population = models.PositiveIntegerField(_("Einwohner"), null=True, blank=True)
    population_male = models.PositiveIntegerField(_("davon männlich"), null=True, blank=True)
    seat_plz = models.CharField(_("PLZ des Verwaltungssitzes"), max_length=5, blank=True)
    gebietsstand = models.DateField(_("Gebietsstand"))
    valid_until = models.DateField(
        _("gültig bis"),
        null=True,
        blank=True,
        help_text=_("Set when a newer Gebietsstand no longer lists the unit."),
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("Nachfolger"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
    )
    geometry = models.TextField(_("Grenze (GeoJSON)"), blank=True)

    objects: ClassVar[LevelManager] = LevelManager()

    class Meta:
        verbose_name = _("Gebiet")
        verbose_name_plural = _("Gebiete")
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["level", "key"], name="gebiet_unique_level_key"),
        ]
        indexes = [models.Index(fields=["level", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    @property
    def is_current(self) -> bool:
        return self.valid_until is None

    @property
    def is_kreisfrei(self) -> bool:
        return self.type in {GebietType.KREISFREIE_STADT, GebietType.STADTKREIS}

    @property
    def display_name(self) -> str:
        """The name without Destatis' ", Stadt" suffix, as people write it."""
        for suffix in (", Stadt", ", Hansestadt", ", Landeshauptstadt"):
            if self.name.endswith(suffix):
                return self.name.removesuffix(suffix)
        return self.name

    def current_successor(self) -> Gebiet:
        """Follow the successor chain of an ended unit to the one valid today."""
        unit: Gebiet = self
        seen = {unit.pk}
        while unit.successor_id is not None and unit.successor_id not in seen:
            seen.add(unit.successor_id)
            assert unit.successor is not None
            unit = unit.successor
        return unit


class Land(Gebiet):
    objects: ClassVar[LevelManager] = LevelManager(Level.LAND)

    class Meta:
        proxy = True
        verbose_name = _("Land")
        verbose_name_plural = _("Länder")


class Kreis(Gebiet):
    objects: ClassVar[LevelManager] = LevelManager(Level.KREIS)

    class Meta:
        proxy = True
        verbose_name = _("Kreis")
        verbose_name_plural = _("Kreise")


class Gemeindeverband(Gebiet):
    objects: ClassVar[LevelManager] = LevelManager(Level.VERBAND)

    class Meta:
        proxy = True
        verbose_name = _("Gemeindeverband")
        verbose_name_plural = _("Gemeindeverbände")


class Gemeinde(Gebiet):
    objects: ClassVar[LevelManager] = LevelManager(Level.GEMEINDE)

    class Meta:
        proxy = True
        verbose_name = _("Gemeinde")
        verbose_name_plural = _("Gemeinden")


class Postleitzahl(models.Model):
    """One PLZ ↔ Gemeinde pair. A PLZ may cover several Gemeinden and the reverse."""

    plz = models.CharField(_("PLZ"), max_length=5, db_index=True)
    gemeinde = models.ForeignKey(
        Gebiet, verbose_name=_("Gemeinde"), on_delete=models.CASCADE, related_name="postleitzahlen"
    )
    ort = models.CharField(_("Ort"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("Postleitzahl")
        verbose_name_plural = _("Postleitzahlen")
        ordering = ["plz", "ort"]
        constraints = [
            models.UniqueConstraint(fields=["plz", "gemeinde", "ort"], name="plz_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.plz} {self.ort}"


class GebietChange(models.Model):
    """What a newer Gebietsstand changed: renamed, merged, ended, created, moved units."""

    class Kind(models.TextChoices):
        CREATED = "created", _("neu")
        RENAMED = "renamed", _("umbenannt")
        MOVED = "moved", _("Zuordnung geändert")
        MERGED = "merged", _("eingegliedert oder zusammengeschlossen")
        ENDED = "ended", _("aufgelöst")

    gebiet = models.ForeignKey(
        Gebiet, verbose_name=_("Gebiet"), on_delete=models.CASCADE, related_name="changes"
    )
    gebietsstand = models.DateField(_("Gebietsstand"))
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    details: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(
        _("Einzelheiten"), default=dict
    )

    class Meta:
        verbose_name = _("Gebietsänderung")
        verbose_name_plural = _("Gebietsänderungen")
        ordering = ["-gebietsstand", "gebiet__key"]

    def __str__(self) -> str:
        return f"{self.gebietsstand}: {self.gebiet} {self.get_kind_display()}"
