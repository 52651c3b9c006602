"""Online applications: form definitions, drafts, submissions, attachments, payments."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.applications.fields import EncryptedJSONField
from verbund.authorities.types import Authority, EncryptionKey
from verbund.catalogue.types import Service
from verbund.core.encryption import EncryptedTextField
from verbund.core.models import TimeStampedModel


class FormSource(models.TextChoices):
    BUILTIN = "builtin", _("mit Verbund ausgeliefert")
    XDATENFELDER_2 = "xdf2", _("XDatenfelder 2")
    XDATENFELDER_3 = "xdf3", _("XDatenfelder 3")


class FormDefinition(TimeStampedModel):
    """A form (Stammdatenschema): versioned; one is the online form of a service."""

    key = models.SlugField(_("Kennung"), max_length=120, unique=True)
    name = models.CharField(_("Name"), max_length=300)
    service = models.OneToOneField(
        Service,
        verbose_name=_("Leistung"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="form_definition",
    )
    fim_id = models.CharField(_("FIM-ID"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("Formular")
        verbose_name_plural = _("Formulare")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class FormVersion(TimeStampedModel):
    """One version of a form. A published version never changes: submissions refer to it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        PUBLISHED = "published", _("veröffentlicht")
        RETIRED = "retired", _("abgelöst")

    definition = models.ForeignKey(
        FormDefinition,
        verbose_name=_("Formular"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("Version"))
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices)
    schema = models.JSONField(_("Definition"))
    content_hash = models.CharField(_("Prüfsumme der Definition"), max_length=64)
    source = models.CharField(_("Herkunft"), max_length=8, choices=FormSource.choices)
    fim_version = models.CharField(_("FIM-Version"), max_length=40, blank=True)
    published_at = models.DateTimeField(_("veröffentlicht am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Formularversion")
        verbose_name_plural = _("Formularversionen")
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="form_version_unique"),
            models.UniqueConstraint(
                fields=["definition"],
                condition=models.Q(status="published"),
                name="form_version_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.key} v{self.number}"


class Place(models.Model):
    """Abstract: where the applicant lives or the matter is located, and who answers there."""

    place_ags = models.CharField(_("Gemeindeschlüssel"), max_length=8, blank=True)
    place_plz = models.CharField(_("Postleitzahl"), max_length=5, blank=True)
    place_name = models.CharField(_("Ort"), max_length=200, blank=True)
    authority = models.ForeignKey(
        Authority, verbose_name=_("zuständige Behörde"), on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(_("Grundlage der Zuständigkeit"), max_length=60)
    basis_explanation = models.TextField(_("Begründung der Zuständigkeit"), blank=True)

    class Meta:
        abstract = True


class Draft(Place, TimeStampedModel):
    """An application being filled in. Saved on every step; expires when left alone."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    form_version = models.ForeignKey(
        FormVersion, verbose_name=_("Formularversion"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("Leistung"), on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="application_drafts",
    )
    applicant_authority = models.ForeignKey(
        Authority,
        verbose_name=_("antragstellende Behörde"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resume_token_hash = models.CharField(_("Prüfwert des Fortsetzungsschlüssels"), max_length=64)
    data = EncryptedJSONField(_("Angaben (verschlüsselt gespeichert)"), default=dict)
    # values taken from the Servicekonto with the holder's consent, by path, so that form
    # and summary can mark them while they are unchanged
    prefilled = EncryptedJSONField(
        _("aus dem Servicekonto übernommen (verschlüsselt gespeichert)"), default=dict
    )
    step = models.PositiveSmallIntegerField(_("erreichter Schritt"), default=0)
    expires_at = models.DateTimeField(_("verfällt am"), db_index=True)

    class Meta:
        verbose_name = _("Antragsentwurf")
        verbose_name_plural = _("Antragsentwürfe")

    def __str__(self) -> str:
        return f"{self.service} ({self.pk})"


class ScanStatus(models.TextChoices):
    CLEAN = "clean", _("geprüft, kein Befund")
    NOT_SCANNED = "not_scanned", _("nicht geprüft (kein Virenscanner eingerichtet)")
    SENDER_ENCRYPTED = "sender_encrypted", _("vom Absender verschlüsselt (Prüfung bei der Behörde)")


class DraftAttachment(models.Model):
    """An uploaded file of a draft, already encrypted to the responsible authority's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.ForeignKey(
        Draft, verbose_name=_("Entwurf"), on_delete=models.CASCADE, related_name="attachments"
    )
    path = models.CharField(_("Feld"), max_length=200)
    filename = EncryptedTextField(_("Dateiname (verschlüsselt gespeichert)"))
    media_type = models.CharField(_("Dateityp"), max_length=100)
    size = models.PositiveBigIntegerField(_("Größe in Byte"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    storage_name = models.CharField(_("Ablage"), max_length=300)
    kid = models.CharField(_("Schlüssel-ID"), max_length=64)
    scan_status = models.CharField(_("Virenprüfung"), max_length=20, choices=ScanStatus.choices)
    uploaded_at = models.DateTimeField(_("hochgeladen am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Anhang eines Entwurfs")
        verbose_name_plural = _("Anhänge von Entwürfen")

    def __str__(self) -> str:
        return self.filename


class Submission(Place, TimeStampedModel):
    """A submitted application (Antrag), frozen at submit time and encrypted to the authority.

    The platform stores the data and attachments only as JWE for the authority's key; what it
    can read is what it needs to route, show the status and prove receipt."""

    class Status(models.TextChoices):
        ANNOUNCED = "announced", _("angekündigt")
        AWAITING_PAYMENT = "awaiting_payment", _("wartet auf Zahlung")
        RECEIVED = "received", _("eingegangen")
        IN_PROGRESS = "in_progress", _("in Bearbeitung")
        INFORMATION_NEEDED = "information_needed", _("Rückfrage: weitere Angaben nötig")
        DECIDED = "decided", _("entschieden")
        FORWARDED = "forwarded", _("weitergeleitet")
        REJECTED = "rejected", _("abgelehnt")
        CLOSED = "closed", _("abgeschlossen")

    class Channel(models.TextChoices):
        WEB = "web", _("Online-Formular")
        API = "api", _("Schnittstelle")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vorgangsnummer = models.CharField(
        _("Vorgangsnummer"), max_length=20, unique=True, null=True, blank=True
    )
    status = models.CharField(_("Status"), max_length=20, choices=Status.choices, db_index=True)
    channel = models.CharField(_("Eingangskanal"), max_length=8, choices=Channel.choices)
    service = models.ForeignKey(
        Service, verbose_name=_("Leistung"), on_delete=models.PROTECT, related_name="+"
    )
    form_version = models.ForeignKey(
        FormVersion, verbose_name=_("Formularversion"), on_delete=models.PROTECT, related_name="+"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto der antragstellenden Person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="application_submissions",
    )
    applicant_authority = models.ForeignKey(
        Authority,
        verbose_name=_("antragstellende Behörde"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    key = models.ForeignKey(
        EncryptionKey,
        verbose_name=_("Schlüssel"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    encrypted_data = models.TextField(_("Angaben (JWE)"), blank=True)
    encrypted_metadata = models.TextField(_("Metadaten (JWE)"), blank=True)
    data_sha256 = models.CharField(_("SHA-256 der Angaben"), max_length=64, blank=True)
    ciphertext_sha256 = models.CharField(_("SHA-256 des Chiffrats"), max_length=64, blank=True)
    announced_attachments = models.JSONField(_("angekündigte Anhänge"), default=list)
    fee_total = models.DecimalField(_("Gebühr"), max_digits=10, decimal_places=2, default=0)
    fee_lines = models.JSONField(_("Gebührenposten"), default=list)
    status_secret_hash = models.CharField(_("Prüfwert des Zugangscodes"), max_length=64)
    idempotency_key = models.CharField(
        _("Idempotenzschlüssel"), max_length=200, unique=True, null=True, blank=True
    )
    request_sha256 = models.CharField(_("Prüfsumme der Anfrage"), max_length=64, blank=True)
    # The first answer to the completing PUT of the submission API, access code included,
    # encrypted (accounts.encryption): a retried completion gets exactly this answer again.
    first_response = models.TextField(_("erste Antwort (verschlüsselt)"), blank=True)
    # The web draft it was made from and that draft's resume-token hash: a repeated
    # "Antrag absenden" (double click) finds this submission once the draft is gone.
    source_draft_id = models.UUIDField(_("aus Entwurf"), null=True, blank=True, unique=True)
    source_token_hash = models.CharField(_("Prüfwert des Entwurfs"), max_length=64, blank=True)
    consent_at = models.DateTimeField(_("Einwilligung am"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("eingereicht am"), null=True, blank=True)
    released_at = models.DateTimeField(
        _("an die Behörde freigegeben am"), null=True, blank=True, db_index=True
    )
    status_note = models.TextField(_("Hinweis zum Status"), blank=True)

    class Meta:
        verbose_name = _("Antrag")
        verbose_name_plural = _("Anträge")
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["authority", "released_at"])]

    def __str__(self) -> str:
        return self.vorgangsnummer or str(self.pk)

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


class SubmissionAttachment(models.Model):
    """An attachment of a submission: JWE in the attachment storage, SHA-256 of the plain file."""

    id = models.UUIDField(primary_key=True, editable=False)
    submission = models.ForeignKey(
        Submission, verbose_name=_("Antrag"), on_delete=models.CASCADE, related_name="attachments"
    )
    media_type = models.CharField(_("Dateityp"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("Größe in Byte (verschlüsselt)"))
    sha256 = models.CharField(_("SHA-256 der Datei"), max_length=64, blank=True)
    ciphertext_sha256 = models.CharField(_("SHA-256 des Chiffrats"), max_length=64)
    storage_name = models.CharField(_("Ablage"), max_length=300)
    scan_status = models.CharField(_("Virenprüfung"), max_length=20, choices=ScanStatus.choices)

    class Meta:
        verbose_name = _("Anhang")
        verbose_name_plural = _("Anhänge")

    def __str__(self) -> str:
        return str(self.id)


class Payment(TimeStampedModel):
    """A payment request at the provider (XBezahldienste/ePayBL shape) for a submission's fee."""

    class Status(models.TextChoices):
        INITIAL = "INITIAL", _("offen")
        PAYED = "PAYED", _("bezahlt")
        FAILED = "FAILED", _("fehlgeschlagen")
        CANCELED = "CANCELED", _("abgebrochen")

    request_id = models.CharField(_("requestId"), max_length=64, unique=True)
    submission = models.ForeignKey(
        Submission, verbose_name=_("Antrag"), on_delete=models.CASCADE, related_name="payments"
    )
    provider = models.CharField(_("Bezahldienst"), max_length=40)
    amount = models.DecimalField(_("Betrag"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("Währung"), max_length=3, default="EUR")
    purpose = models.CharField(_("Verwendungszweck"), max_length=140)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices)
    provider_reference = models.CharField(
        _("Referenz des Bezahldienstes"), max_length=100, blank=True
    )
    payment_method = models.CharField(_("Zahlart"), max_length=40, blank=True)
    paid_at = models.DateTimeField(_("bezahlt am (laut Bezahldienst)"), null=True, blank=True)
    checked_at = models.DateTimeField(_("Status zuletzt abgefragt"), null=True, blank=True)
    status_detail = models.CharField(_("Hinweis zum Status"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Zahlung")
        verbose_name_plural = _("Zahlungen")

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"


class ApiRateWindow(models.Model):
    """Requests of one client to the public submission API in one time window: the per-client
    rate limit, counted in the database so that every app process shares it."""

    client = models.CharField(_("Client"), max_length=64)
    window = models.DateTimeField(_("Zeitfenster ab"))
    count = models.PositiveIntegerField(_("Anfragen"), default=0)

    class Meta:
        verbose_name = _("Zeitfenster der Antrags-API")
        verbose_name_plural = _("Zeitfenster der Antrags-API")
        constraints = [
            models.UniqueConstraint(fields=["client", "window"], name="api_rate_window_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.window:%H:%M}: {self.count}"
