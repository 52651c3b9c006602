"""The service catalogue: Leistungen with their LeiKa/FIM fields, the OZG structure
(Themenfelder, Lebenslagen, OZG-Leistungen), authority-specific texts and the search index.

Curated services carry the texts citizens read; the LeiKa base catalogue adds every other
key with its official name, grouped under its OZG-Leistung.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.authorities.types import Authority
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


class Audience(models.TextChoices):
    """FIM Leistungsadressat: who asks for the service."""

    CITIZENS = "buerger", _("Bürgerinnen und Bürger")
    BUSINESSES = "unternehmen", _("Unternehmen")
    BOTH = "buerger_unternehmen", _("Bürger und Unternehmen")
    AUTHORITIES = "verwaltung", _("Verwaltung")


class Themenfeld(models.Model):
    """One of the 14 OZG Themenfelder (e.g. Familie & Kind)."""

    name = models.CharField(_("Name"), max_length=120, unique=True)
    slug = models.SlugField(_("Kurzname"), max_length=120, unique=True)

    class Meta:
        verbose_name = _("Themenfeld")
        verbose_name_plural = _("Themenfelder")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Lebenslage(TimeStampedModel):
    """A life situation (Lebenslage): the OZG's 58 plus the editorial view citizens see.

    The OZG fields (`ozg_id`, `name`, `themenfeld`) come from the import; `title`,
    `description`, `terms` and the ordered curated services are the Land's editorial work.
    """

    ozg_id = models.PositiveIntegerField(
        _("OZG-Lebenslagen-ID"), unique=True, null=True, blank=True
    )
    name = models.CharField(_("Bezeichnung (OZG)"), max_length=200)
    themenfeld = models.ForeignKey(
        Themenfeld,
        verbose_name=_("Themenfeld"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lebenslagen",
    )
    slug = models.SlugField(_("Kurzname"), max_length=120, unique=True)
    title = models.CharField(
        _("Titel für Bürgerinnen und Bürger"),
        max_length=120,
        blank=True,
        help_text=_("Short plain title, e.g. Umzug. Empty: the OZG name is shown."),
    )
    description = models.TextField(_("Beschreibung"), blank=True)
    terms = models.TextField(
        _("Alltagsbegriffe"),
        blank=True,
        help_text=_("Words people use for this life situation, one per line."),
    )
    is_featured = models.BooleanField(_("auf der Startseite"), default=False)
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=100)
    services: models.ManyToManyField[Service, LebenslageService] = models.ManyToManyField(
        "Service",
        verbose_name=_("Leistungen"),
        through="LebenslageService",
        related_name="lebenslagen",
        blank=True,
    )

    class Meta:
        verbose_name = _("Lebenslage")
        verbose_name_plural = _("Lebenslagen")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return self.title or self.name

    @property
    def term_list(self) -> list[str]:
        return split_lines(self.terms)


class OzgLeistung(models.Model):
    """One of the 557 OZG-Leistungen: groups the LeiKa services (and their sub-variants)
    that form one online service."""

    ozg_id = models.PositiveIntegerField(_("OZG-ID"), unique=True)
    name = models.CharField(_("Bezeichnung"), max_length=300)
    lebenslage = models.ForeignKey(
        Lebenslage,
        verbose_name=_("Lebenslage"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ozg_leistungen",
    )

    class Meta:
        verbose_name = _("OZG-Leistung")
        verbose_name_plural = _("OZG-Leistungen")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ozg_id})"


class Service(TimeStampedModel):
    """A Leistung. Curated services carry the texts citizens read; the LeiKa base catalogue
    adds every other key with its official name only.

    The text fields follow the FIM Stammtext modules; a tenant may replace them for its area
    with an `AuthorityServiceText`.
    """

    slug = models.SlugField(_("Kurzname"), max_length=80, unique=True)
    leika_key = models.CharField(_("Leistungsschlüssel"), max_length=14, blank=True, db_index=True)
    name = models.CharField(_("Leistungsbezeichnung"), max_length=300)
    name_2 = models.CharField(_("Leistungsbezeichnung II"), max_length=300, blank=True)
    leika_name = models.CharField(
        _("Bezeichnung im LeiKa"),
        max_length=300,
        blank=True,
        help_text=_("The official name as imported from the LeiKa."),
    )
    short_text = models.TextField(_("Kurztext"), blank=True)
    full_text = models.TextField(_("Volltext"), blank=True)
    required_documents = models.TextField(
        _("Erforderliche Unterlagen"), blank=True, help_text=_("One document per line.")
    )
    prerequisites = models.TextField(_("Voraussetzungen"), blank=True)
    costs = models.TextField(_("Kosten"), blank=True)
    deadlines = models.TextField(_("Fristen"), blank=True)
    processing_time = models.TextField(_("Bearbeitungsdauer"), blank=True)
    procedure = models.TextField(_("Verfahrensablauf"), blank=True)
    notes = models.TextField(_("Hinweise"), blank=True)
    legal_basis = models.TextField(_("Rechtsgrundlagen"), blank=True)
    rechtsbehelfsbelehrung = models.TextField(
        _("Rechtsbehelfsbelehrung"),
        blank=True,
        help_text=_(
            "Rechtsbehelfsbelehrung für Bescheide zu dieser Leistung (Widerspruch oder Klage, "
            "wo, in welcher Frist). {behoerde} und {anschrift} werden durch die erlassende "
            "Behörde ersetzt; leer: der allgemeine Widerspruch nach § 70 VwGO."
        ),
    )
    forms_url = models.URLField(_("Formulare"), max_length=500, blank=True)
    online_service_url = models.URLField(_("Onlinedienst"), max_length=500, blank=True)
    audience = models.CharField(
        _("Leistungsadressat"), max_length=20, choices=Audience.choices, blank=True
    )
    synonyms = models.TextField(_("Synonyme"), blank=True, help_text=_("One term per line."))
    everyday_terms = models.TextField(
        _("Alltagsbegriffe"),
        blank=True,
        help_text=_("How people say it in their own words, one phrase per line."),
    )
    english_terms = models.TextField(
        _("Englische Begriffe"), blank=True, help_text=_("One term per line.")
    )
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
    ozg_leistung = models.ForeignKey(
        OzgLeistung,
        verbose_name=_("OZG-Leistung"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
    )
    typisierung = models.CharField(
        _("Typisierung"),
        max_length=20,
        blank=True,
        help_text=_("Who regulates and who executes: 1 Bund/Bund … 5 Land/Kommune."),
    )
    is_curated = models.BooleanField(_("redaktionell gepflegt"), default=False, db_index=True)
    is_outdated = models.BooleanField(
        _("veralteter Schlüssel"),
        default=False,
        help_text=_("A 2019 LeiKa key whose area has since been renumbered."),
    )
    search_boost = models.FloatField(
        _("Gewicht in der Suche"),
        default=1.0,
        help_text=_("Editorial weight among equally good matches (1.0 = normal)."),
    )

    class Meta:
        verbose_name = _("Leistung")
        verbose_name_plural = _("Leistungen")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["leika_key"],
                condition=~models.Q(leika_key=""),
                name="service_leika_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def leistungsobjekt(self) -> str:
        """The first 8 digits of the key: the object all its Verrichtungen share."""
        return self.leika_key[:8]

    @property
    def required_document_list(self) -> list[str]:
        return split_lines(self.required_documents)

    @property
    def synonym_list(self) -> list[str]:
        return split_lines(self.synonyms)

    @property
    def everyday_term_list(self) -> list[str]:
        return split_lines(self.everyday_terms)

    @property
    def english_term_list(self) -> list[str]:
        return split_lines(self.english_terms)


class LebenslageService(models.Model):
    """A curated service in a life situation, in the order the editors chose (the service
    most people need first)."""

    lebenslage = models.ForeignKey(Lebenslage, on_delete=models.CASCADE, related_name="links")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="lebenslage_links")
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)

    class Meta:
        verbose_name = _("Leistung in der Lebenslage")
        verbose_name_plural = _("Leistungen in der Lebenslage")
        ordering = ["lebenslage", "position", "service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["lebenslage", "service"], name="lebenslage_service_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lebenslage} · {self.service}"


# The texts citizens read about a service (FIM Stammtext fields), in the order of the forms;
# the one list that the admin, the effective texts and the starter catalogue use.
SERVICE_TEXT_FIELDS = (
    "short_text",
    "full_text",
    "required_documents",
    "prerequisites",
    "costs",
    "deadlines",
    "processing_time",
    "procedure",
    "notes",
    "legal_basis",
    "rechtsbehelfsbelehrung",
    "forms_url",
    "online_service_url",
)
# The text fields a tenant may replace for its area. `name`, keys, the legal basis and
# responsibility facts stay the Land's.
OVERRIDABLE_FIELDS = tuple(name for name in SERVICE_TEXT_FIELDS if name != "legal_basis")


class AuthorityServiceText(TimeStampedModel):
    """An authority's own text for a service. A filled field replaces the Land's text for
    the authority's area; an empty one keeps the Land's text."""

    service = models.ForeignKey(
        Service,
        verbose_name=_("Leistung"),
        on_delete=models.CASCADE,
        related_name="authority_texts",
    )
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.CASCADE,
        related_name="service_texts",
    )
    short_text = models.TextField(_("Kurztext"), blank=True)
    full_text = models.TextField(_("Volltext"), blank=True)
    required_documents = models.TextField(
        _("Erforderliche Unterlagen"), blank=True, help_text=_("One document per line.")
    )
    prerequisites = models.TextField(_("Voraussetzungen"), blank=True)
    costs = models.TextField(_("Kosten"), blank=True)
    deadlines = models.TextField(_("Fristen"), blank=True)
    processing_time = models.TextField(_("Bearbeitungsdauer"), blank=True)
    procedure = models.TextField(_("Verfahrensablauf"), blank=True)
    notes = models.TextField(_("Hinweise"), blank=True)
    rechtsbehelfsbelehrung = models.TextField(
        _("Rechtsbehelfsbelehrung"),
        blank=True,
        help_text=_("Ersetzt die Rechtsbehelfsbelehrung des Landes in Bescheiden dieser Behörde."),
    )
    forms_url = models.URLField(_("Formulare"), max_length=500, blank=True)
    online_service_url = models.URLField(_("Onlinedienst"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Text einer Behörde")
        verbose_name_plural = _("Texte der Behörden")
        ordering = ["service__name", "authority__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "authority"], name="authority_service_text_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} · {self.authority}"


class SearchEntry(models.Model):
    """The analysed search text of one service (written by `catalogue.indexing`).

    Each column holds the tokens of Verbund's German analyser (folded, stemmed), so SQLite
    FTS5 and PostgreSQL full text index identical terms. PostgreSQL adds a generated
    `document` tsvector column with a GIN index; SQLite mirrors the rows into the FTS5 table
    `catalogue_search_fts` (both created in migration 0003).

    `embedding` is the service's sentence embedding (multilingual-e5-small, 384 float16
    values) for the semantic signal of `catalogue.semantic`; `embedded_digest` names the
    text it was computed from, so a rebuild recomputes only what changed.
    """

    service = models.OneToOneField(
        Service, primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    names = models.TextField(blank=True)
    name_parts = models.TextField(blank=True)
    terms = models.TextField(blank=True)
    term_parts = models.TextField(blank=True)
    body = models.TextField(blank=True)
    embedding = models.BinaryField(default=b"", editable=False)
    embedded_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("Suchindex-Eintrag")
        verbose_name_plural = _("Suchindex")

    def __str__(self) -> str:
        return f"{self.service_id}"


class SearchTerm(models.Model):
    """The vocabulary of the search index: every folded word with its stem and in how many
    services the stem occurs. Typo correction looks words up here (pg_trgm on PostgreSQL)."""

    word = models.CharField(max_length=100, unique=True)
    stem = models.CharField(max_length=100)
    df = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Suchbegriff")
        verbose_name_plural = _("Suchbegriffe")

    def __str__(self) -> str:
        return self.word


class SearchIndexState(models.Model):
    """One row: the version of the search index, a new random token on every change, so
    that each process reloads its copy of the vocabulary when the index changed."""

    version = models.PositiveBigIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True)
    # The analyser the index was last built with (`indexing.analysis_digest`); another one
    # means the stored stems are stale, and `migrate` rebuilds the index.
    analysis = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("Stand des Suchindex")
        verbose_name_plural = _("Stand des Suchindex")

    def __str__(self) -> str:
        return f"v{self.version}"


def split_lines(value: str) -> list[str]:
    """Editors enter lists one item per line; blank lines and surrounding spaces vanish."""
    return [line.strip() for line in value.splitlines() if line.strip()]
