"""Open data: the datasets an authority publishes (DCAT-AP.de), their distributions, and
the harvest sources whose datasets the platform imports."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.authorities.types import Authority
from verbund.core.models import TimeStampedModel
from verbund.gebiete.types import Gebiet
from verbund.opendata import rules


def _choices(terms: dict[str, rules.Term]) -> list[tuple[str, str]]:
    return [(code, term.de) for code, term in terms.items()]


class HarvestSource(TimeStampedModel):
    """A DCAT RDF document (a file path or an http(s) URL) or a CKAN Action API whose
    datasets an authority publishes here; `verbund harvest` keeps them in step with the
    source."""

    class Kind(models.TextChoices):
        DCAT = "dcat", _("DCAT-RDF-Dokument")
        CKAN = "ckan", _("CKAN-API")

    authority = models.ForeignKey(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.CASCADE,
        related_name="harvest_sources",
    )
    name = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    title = models.CharField(_("Bezeichnung"), max_length=200)
    url = models.CharField(
        _("Quelle"),
        max_length=500,
        help_text=_(
            "Pfad einer Datei oder http(s)-Adresse; bei einer CKAN-API deren Basisadresse "
            "(…/api/3/action/), wahlweise mit ?fq= als Filter."
        ),
    )
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices, default=Kind.DCAT)
    scheduled = models.BooleanField(_("regelmäßig ernten"), default=False)
    last_harvested_at = models.DateTimeField(_("zuletzt geerntet"), null=True, blank=True)

    class Meta:
        verbose_name = _("Harvesting-Quelle")
        verbose_name_plural = _("Harvesting-Quellen")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title


class HarvestRun(models.Model):
    """One harvest of a source: what changed and, per record, what could not be imported."""

    source = models.ForeignKey(
        HarvestSource, verbose_name=_("Quelle"), on_delete=models.CASCADE, related_name="runs"
    )
    started_at = models.DateTimeField(_("begonnen"), auto_now_add=True)
    created = models.PositiveIntegerField(_("neu"), default=0)
    updated = models.PositiveIntegerField(_("geändert"), default=0)
    unchanged = models.PositiveIntegerField(_("unverändert"), default=0)
    deleted = models.PositiveIntegerField(_("entfernt"), default=0)
    errors = models.JSONField(
        _("Fehler je Datensatz"), default=list, blank=True, help_text=_("[{record, message}]")
    )

    class Meta:
        verbose_name = _("Harvesting-Lauf")
        verbose_name_plural = _("Harvesting-Läufe")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M}"


class DatasetStatus(models.TextChoices):
    DRAFT = "entwurf", _("Entwurf")
    PUBLISHED = "veroeffentlicht", _("veröffentlicht")


class Dataset(TimeStampedModel):
    """A dcat:Dataset published by an authority (dct:publisher), with the DCAT-AP.de fields."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("veröffentlichende Behörde"),
        on_delete=models.PROTECT,
        related_name="datasets",
    )
    name = models.SlugField(
        _("Kennung"),
        max_length=100,
        unique=True,
        help_text=_("Teil der Adresse und CKAN-`name`: Kleinbuchstaben, Ziffern, - und _."),
    )
    status = models.CharField(
        _("Status"), max_length=20, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT
    )
    title = models.CharField(_("Titel"), max_length=300)
    description = models.TextField(_("Beschreibung"))
    keywords = models.JSONField(_("Schlagwörter"), default=list, blank=True)
    themes = models.JSONField(
        _("Kategorien"), default=list, blank=True, help_text=_("Codes der EU-Datenthemen.")
    )
    licence = models.CharField(
        _("Lizenz"), max_length=40, choices=_choices(rules.LICENCES), default="dl-by-de/2.0"
    )
    contact_name = models.CharField(_("Ansprechpartner"), max_length=200, blank=True)
    contact_email = models.EmailField(_("E-Mail des Ansprechpartners"), blank=True)
    landing_page = models.URLField(_("Webseite"), max_length=500, blank=True)
    gebiet = models.ForeignKey(
        Gebiet,
        verbose_name=_("räumliche Abdeckung"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # For harvested datasets whose area is not in the platform's Gebiet table
    geocoding_uri = models.CharField(_("Geokodierung (URI)"), max_length=200, blank=True)
    geocoding_level_uri = models.CharField(
        _("Geokodierungsebene (URI)"), max_length=200, blank=True
    )
    temporal_start = models.DateField(_("Zeitraum von"), null=True, blank=True)
    temporal_end = models.DateField(_("Zeitraum bis"), null=True, blank=True)
    accrual_periodicity = models.CharField(
        _("Aktualisierung"), max_length=20, choices=_choices(rules.FREQUENCIES), blank=True
    )
    issued = models.DateTimeField(_("veröffentlicht am"), null=True, blank=True)
    modified = models.DateTimeField(_("geändert am"), null=True, blank=True)
    identifier = models.CharField(
        _("Kennung der Quelle"),
        max_length=500,
        blank=True,
        db_index=True,
        help_text=_("dct:identifier (bei geernteten Datensätzen die der Quelle)."),
    )
    harvest_source = models.ForeignKey(
        HarvestSource,
        verbose_name=_("Harvesting-Quelle"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="datasets",
    )
    source_uri = models.CharField(_("URI in der Quelle"), max_length=500, blank=True)
    source_hash = models.CharField(_("Prüfsumme des Quelldatensatzes"), max_length=64, blank=True)
    # Denormalised for search and facets on SQLite and PostgreSQL alike (see `save`)
    search_text = models.TextField(editable=False, blank=True)
    keyword_index = models.TextField(editable=False, blank=True)
    theme_index = models.CharField(editable=False, max_length=100, blank=True)
    # The distributions' formats (`|CSV|JSON|`), kept by `index_formats`, so the format facet
    # and filter read the dataset row alone
    format_index = models.CharField(editable=False, max_length=300, blank=True)

    class Meta:
        verbose_name = _("Datensatz")
        verbose_name_plural = _("Datensätze")
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "authority"]),
            # The orders of package_search (default, harvesters' paging) and of /daten/; with
            # the key, so that a deep `start` skips index entries only (an index-only scan)
            models.Index(fields=["status", "-modified", "name", "id"], name="dataset_recent_idx"),
            models.Index(fields=["status", "name", "id"], name="dataset_name_idx"),
            models.Index(fields=["status", "title", "name"], name="dataset_title_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["harvest_source", "source_uri"],
                condition=models.Q(harvest_source__isnull=False),
                name="dataset_source_uri_unique",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_search_columns()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "search_text",
                "keyword_index",
                "theme_index",
            }
        super().save(*args, **kwargs)

    def fill_search_columns(self) -> None:
        """The denormalised search and facet columns; `save` calls this, and so must whoever
        bulk-creates datasets (bulk_create bypasses `save`)."""
        self.search_text = " ".join(
            [self.title, self.description, " ".join(self.keywords), self.name]
        ).lower()
        self.keyword_index = "".join(f"|{k.lower()}" for k in self.keywords) + "|"
        self.theme_index = "".join(f"|{t}" for t in self.themes) + "|"

    def index_formats(self, formats: Iterable[str] | None = None) -> None:
        """Set `format_index` from the given formats, else from the stored distributions;
        whoever adds or removes distributions calls this and saves the dataset."""
        if formats is None:
            formats = self.distributions.values_list("format", flat=True)
        self.format_index = format_index(formats)


def format_index(formats: Iterable[str]) -> str:
    return "".join(f"|{f}" for f in sorted({f.upper() for f in formats if f})) + "|"


class Distribution(TimeStampedModel):
    """A dcat:Distribution: a file in the platform's storage or a URL elsewhere."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(
        Dataset,
        verbose_name=_("Datensatz"),
        on_delete=models.CASCADE,
        related_name="distributions",
    )
    title = models.CharField(_("Titel"), max_length=300, blank=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    access_url = models.URLField(
        _("Adresse"), max_length=1000, blank=True, help_text=_("Leer bei hochgeladenen Dateien.")
    )
    download_url = models.URLField(_("Download-Adresse"), max_length=1000, blank=True)
    storage_name = models.CharField(_("Ablage"), max_length=300, blank=True)
    filename = models.CharField(_("Dateiname"), max_length=255, blank=True)
    format = models.CharField(_("Format"), max_length=30, blank=True)
    media_type = models.CharField(_("Medientyp"), max_length=120, blank=True)
    byte_size = models.BigIntegerField(_("Größe in Bytes"), null=True, blank=True)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    licence = models.CharField(
        _("Lizenz"), max_length=40, blank=True, help_text=_("Leer: die des Datensatzes.")
    )
    position = models.PositiveIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Distribution")
        verbose_name_plural = _("Distributionen")
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return self.title or self.filename or self.access_url

    @property
    def is_file(self) -> bool:
        return bool(self.storage_name)

    @property
    def effective_licence(self) -> str:
        return self.licence or self.dataset.licence
