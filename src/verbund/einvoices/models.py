"""E-Rechnung: received invoices, the suppliers' API keys and the upload throttle."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.authorities.types import Authority
from verbund.core.models import TimeStampedModel


class InvoiceStatus(models.TextChoices):
    RECEIVED = "eingegangen", _("eingegangen")
    CHECKED = "geprueft", _("geprüft")
    REJECTED = "abgelehnt", _("abgelehnt")
    APPROVED = "angewiesen", _("angewiesen")
    PAID = "bezahlt", _("bezahlt")


class Channel(models.TextChoices):
    UPLOAD = "upload", _("Hochladen")
    API = "api", _("Schnittstelle")
    EMAIL = "email", _("E-Mail")


class SupplierApiKey(TimeStampedModel):
    """A supplier system's key for `POST /api/v1/einvoices`. Only a SHA-256 of the key is
    stored (the key is random, 256 bit: a slow hash adds nothing); `prefix` finds the row."""

    name = models.CharField(_("Lieferant oder System"), max_length=200)
    contact_email = models.EmailField(_("Kontakt-E-Mail"), blank=True)
    prefix = models.CharField(_("Schlüsselanfang"), max_length=12, unique=True)
    key_hash = models.CharField(_("SHA-256 des Schlüssels"), max_length=64)
    active = models.BooleanField(_("aktiv"), default=True)
    last_used_at = models.DateTimeField(_("zuletzt verwendet"), null=True, blank=True)

    class Meta:
        verbose_name = _("API-Schlüssel eines Lieferanten")
        verbose_name_plural = _("API-Schlüssel der Lieferanten")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Invoice(TimeStampedModel):
    """One received e-invoice: the original bytes unchanged (in the e-invoice storage,
    with SHA-256), the validation report and what the authority did with it.

    An invoice that fails validation or cannot be routed is kept as `abgelehnt` with the
    reasons, so that the supplier's notice and the record agree."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.PROTECT,
        related_name="einvoices",
        null=True,
        blank=True,
        help_text=_("Empty when the Leitweg-ID named no authority of the platform."),
    )
    leitweg_id = models.CharField(_("Leitweg-ID (BT-10)"), max_length=100, blank=True)
    status = models.CharField(
        _("Status"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.RECEIVED
    )
    channel = models.CharField(_("Eingangsweg"), max_length=10, choices=Channel.choices)
    api_key = models.ForeignKey(
        SupplierApiKey,
        verbose_name=_("API-Schlüssel"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
    )
    received_at = models.DateTimeField(_("eingegangen am"), db_index=True)
    # The original, stored unchanged
    storage_name = models.CharField(_("Ablage"), max_length=300)
    filename = models.CharField(_("Dateiname"), max_length=200, blank=True)
    media_type = models.CharField(_("Medientyp"), max_length=40)
    size = models.PositiveIntegerField(_("Größe in Bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    xml_storage_name = models.CharField(
        _("Ablage des eingebetteten XML"),
        max_length=300,
        blank=True,
        help_text=_("For a ZUGFeRD/Factur-X PDF: the XML invoice extracted from it."),
    )
    # The validation report (`Report.to_dict()`) and what it says
    valid = models.BooleanField(_("gültig"))
    report = models.JSONField(_("Prüfbericht"), default=dict)
    syntax = models.CharField(_("Syntax"), max_length=10, blank=True)
    document_type = models.CharField(_("Dokumentart"), max_length=40, blank=True)
    # Header data for the inbox list (BT-1, BT-2, BT-27, BT-5, BT-109, BT-112, BT-115)
    invoice_number = models.CharField(_("Rechnungsnummer"), max_length=200, blank=True)
    issue_date = models.DateField(_("Rechnungsdatum"), null=True, blank=True)
    seller_name = models.CharField(_("Verkäufer"), max_length=300, blank=True)
    supplier_email = models.EmailField(_("E-Mail des Lieferanten"), blank=True)
    currency = models.CharField(_("Währung"), max_length=3, blank=True)
    net_total = models.DecimalField(
        _("Summe ohne Umsatzsteuer"), max_digits=19, decimal_places=2, null=True, blank=True
    )
    gross_total = models.DecimalField(
        _("Summe mit Umsatzsteuer"), max_digits=19, decimal_places=2, null=True, blank=True
    )
    payable_amount = models.DecimalField(
        _("Zahlbetrag"), max_digits=19, decimal_places=2, null=True, blank=True
    )
    rejection_reasons = models.JSONField(_("Ablehnungsgründe"), default=list, blank=True)
    notice_sent_at = models.DateTimeField(_("Ablehnung mitgeteilt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("E-Rechnung")
        verbose_name_plural = _("E-Rechnungen")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["authority", "status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.invoice_number or self.sha256[:12]} ({self.seller_name or '?'})"

    @property
    def findings(self) -> list[dict[str, str]]:
        return list(self.report.get("findings", []))


class UploadAttempt(models.Model):
    """One anonymous use of the public page or the public check API, counted per client
    address and purpose within a window (kept in the database, like the login throttle,
    so that every app server sees the count)."""

    class Purpose(models.TextChoices):
        UPLOAD = "upload", _("Hochladen")
        VALIDATE = "validate", _("Prüfen (API)")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    purpose = models.CharField(
        _("Zweck"), max_length=16, choices=Purpose.choices, default=Purpose.UPLOAD
    )

    class Meta:
        verbose_name = _("Hochladeversuch")
        verbose_name_plural = _("Hochladeversuche")
        indexes = [
            models.Index(fields=["ip_address", "at"]),
            models.Index(fields=["purpose", "ip_address", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.ip_address}"
