"""The back office (Sachbearbeitung): what an authority records while processing a case.

The case *is* the submission (`applications.Submission`): its `status` is the one state of the
case, which the applicant's status page shows. Casework adds what only the authority needs:
deadline, assignee, internal notes, the decision document, a blind index of the applicant's
name for search, per-service processing and retention periods, and the hand-off settings of
the authority's specialist system (Fachverfahren)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.applications.types import Submission
from verbund.authorities.types import Authority
from verbund.catalogue.types import Service
from verbund.core.models import TimeStampedModel


class Case(TimeStampedModel):
    """The authority's side of a released submission (Vorgang)."""

    submission = models.OneToOneField(
        Submission,
        verbose_name=_("Antrag"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="case",
    )
    deadline = models.DateField(_("Bearbeitungsfrist"), db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Bearbeitung durch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name_indexed = models.BooleanField(_("Name für die Suche erfasst"), default=False)
    closed_at = models.DateTimeField(_("abgeschlossen am"), null=True, blank=True)
    purge_after = models.DateField(_("zu löschen ab"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("Vorgang")
        verbose_name_plural = _("Vorgänge")

    def __str__(self) -> str:
        return str(self.submission)


class CaseNameToken(models.Model):
    """Keyed blind index of the applicant's name: HMAC of each normalised name token, keyed per
    authority, so the inbox finds "Müller" without a readable name in the database."""

    case = models.ForeignKey(
        Case, verbose_name=_("Vorgang"), on_delete=models.CASCADE, related_name="name_tokens"
    )
    token = models.CharField(_("Prüfwert"), max_length=32)

    class Meta:
        verbose_name = _("Suchprüfwert")
        verbose_name_plural = _("Suchprüfwerte")
        indexes = [models.Index(fields=["token"], name="casework_name_token")]
        constraints = [
            models.UniqueConstraint(fields=["case", "token"], name="case_name_token_unique")
        ]

    def __str__(self) -> str:
        return self.token


class CaseNote(TimeStampedModel):
    """An internal note: seen only by the authority's staff, never by the applicant."""

    case = models.ForeignKey(
        Case, verbose_name=_("Vorgang"), on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verfasst von"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("Notiz"))

    class Meta:
        verbose_name = _("interne Notiz")
        verbose_name_plural = _("interne Notizen")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class Decision(TimeStampedModel):
    """The Bescheid: a PDF, stored sealed (JWE) to the deciding authority's key."""

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("stattgegeben")
        PARTIAL = "partial", _("teilweise stattgegeben")
        REFUSED = "refused", _("abgelehnt")

    case = models.ForeignKey(
        Case, verbose_name=_("Vorgang"), on_delete=models.CASCADE, related_name="decisions"
    )
    outcome = models.CharField(_("Ergebnis"), max_length=10, choices=Outcome.choices)
    filename = models.CharField(_("Dateiname"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    storage_name = models.CharField(_("Ablage"), max_length=300)
    generated = models.BooleanField(_("aus Vorlage erzeugt"), default=False)

    class Meta:
        verbose_name = _("Bescheid")
        verbose_name_plural = _("Bescheide")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class ServiceTerms(TimeStampedModel):
    """Processing-time target (→ deadline) and retention period of a service."""

    service = models.OneToOneField(
        Service, verbose_name=_("Leistung"), on_delete=models.CASCADE, related_name="+"
    )
    processing_days = models.PositiveSmallIntegerField(_("Bearbeitungsziel in Tagen"))
    retention_days = models.PositiveIntegerField(_("Aufbewahrung nach Abschluss in Tagen"))

    class Meta:
        verbose_name = _("Fristen einer Leistung")
        verbose_name_plural = _("Fristen der Leistungen")

    def __str__(self) -> str:
        return f"{self.service}: {self.processing_days} / {self.retention_days}"


class Handoff(TimeStampedModel):
    """The authority's specialist system (Fachverfahren): webhook and API key."""

    authority = models.OneToOneField(
        Authority, verbose_name=_("Behörde"), on_delete=models.CASCADE, related_name="+"
    )
    webhook_url = models.URLField(_("Webhook-Adresse"), blank=True)
    webhook_secret = models.CharField(_("Webhook-Signaturschlüssel"), max_length=100, blank=True)
    api_key_hash = models.CharField(
        _("Prüfwert des API-Schlüssels"), max_length=64, blank=True, db_index=True
    )

    class Meta:
        verbose_name = _("Anbindung an ein Fachverfahren")
        verbose_name_plural = _("Anbindungen an Fachverfahren")

    def __str__(self) -> str:
        return str(self.authority)
