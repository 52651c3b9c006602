"""Postfach: messages from an authority to the applicant of a case, and the applicant's replies.

What an authority writes (subject, body, attachments) is personal data of the applicant and
is stored encrypted at rest with the platform's field encryption (`accounts.encryption`), so
that the holder can read it. What the applicant answers is case data for the authority and
is stored only as JWE to the authority's public key, like a submission (`applications`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.applications.types import ScanStatus, Submission
from verbund.authorities.types import Authority, EncryptionKey
from verbund.core.encryption import EncryptedTextField


class MessageKind(models.TextChoices):
    STATUS = "status", _("Statusmitteilung")
    RUECKFRAGE = "rueckfrage", _("Rückfrage")
    BESCHEID = "bescheid", _("Bescheid")
    INFO = "info", _("Information")


class Message(models.Model):
    """A message of an authority about a case, in the Postfach of the case's applicant.

    `recipient` is the applicant's account; without one (anonymous applicant) the message
    lies in the case's anonymous Postfach, reached with Vorgangsnummer and access code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(
        Submission, verbose_name=_("Antrag"), on_delete=models.CASCADE, related_name="+"
    )
    sender_authority = models.ForeignKey(
        Authority, verbose_name=_("absendende Behörde"), on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto der Empfängerin oder des Empfängers"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="postfach_messages",
    )
    kind = models.CharField(_("Art"), max_length=20, choices=MessageKind.choices)
    subject = EncryptedTextField(_("Betreff"))
    body = EncryptedTextField(_("Text"))
    reply_requested = models.BooleanField(_("Antwort erbeten"), default=False)
    sent_at = models.DateTimeField(_("gesendet am"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("gelesen am"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gesendet von"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Nachricht")
        verbose_name_plural = _("Nachrichten")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-sent_at"], name="mailbox_msg_recipient"),
            models.Index(fields=["submission", "sent_at"], name="mailbox_msg_case"),
        ]

    def __str__(self) -> str:
        # No subject here: __str__ lands in the audit log, which must not hold message text.
        return f"{self.get_kind_display()} zu {self.submission_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class MessageAttachment(models.Model):
    """A document sent with a message (e.g. the Bescheid as PDF), encrypted at rest with the
    platform's field encryption in the attachment storage."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(
        Message, verbose_name=_("Nachricht"), on_delete=models.CASCADE, related_name="attachments"
    )
    filename = EncryptedTextField(_("Dateiname"))
    media_type = models.CharField(_("Dateityp"), max_length=100)
    size = models.PositiveBigIntegerField(_("Größe in Byte"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    storage_name = models.CharField(_("Ablage"), max_length=300)

    class Meta:
        verbose_name = _("Anhang einer Nachricht")
        verbose_name_plural = _("Anhänge von Nachrichten")
        ordering = ["storage_name"]

    def __str__(self) -> str:
        return str(self.id)


class Reply(models.Model):
    """The applicant's answer to a message, bound to the case; readable only with the key of
    the case's authority (`encrypted_content` is a JWE of body and attachment names)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(
        Message, verbose_name=_("Nachricht"), on_delete=models.CASCADE, related_name="replies"
    )
    submission = models.ForeignKey(
        Submission, verbose_name=_("Antrag"), on_delete=models.CASCADE, related_name="+"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("Konto"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    key = models.ForeignKey(
        EncryptionKey, verbose_name=_("Schlüssel"), on_delete=models.PROTECT, related_name="+"
    )
    encrypted_content = models.TextField(_("Inhalt (JWE)"))
    content_sha256 = models.CharField(_("SHA-256 des Inhalts"), max_length=64)
    sent_at = models.DateTimeField(_("gesendet am"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("Antwort")
        verbose_name_plural = _("Antworten")
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["submission", "sent_at"], name="mailbox_reply_case")]

    def __str__(self) -> str:
        return f"Antwort zu {self.submission_id}"


class ReplyAttachment(models.Model):
    """A file the applicant sent with a reply: JWE in the attachment storage."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reply = models.ForeignKey(
        Reply, verbose_name=_("Antwort"), on_delete=models.CASCADE, related_name="attachments"
    )
    media_type = models.CharField(_("Dateityp"), max_length=100)
    size = models.PositiveBigIntegerField(_("Größe in Byte"))
    sha256 = models.CharField(_("SHA-256 der Datei"), max_length=64)
    ciphertext_sha256 = models.CharField(_("SHA-256 des Chiffrats"), max_length=64)
    storage_name = models.CharField(_("Ablage"), max_length=300)
    scan_status = models.CharField(_("Virenprüfung"), max_length=20, choices=ScanStatus.choices)

    class Meta:
        verbose_name = _("Anhang einer Antwort")
        verbose_name_plural = _("Anhänge von Antworten")
        ordering = ["storage_name"]

    def __str__(self) -> str:
        return str(self.id)


class AnonymousPostfach(models.Model):
    """The Postfach of a case without an account: reached with Vorgangsnummer and access
    code; optionally with an e-mail address for notifications that the applicant gave."""

    submission = models.OneToOneField(
        Submission, verbose_name=_("Antrag"), on_delete=models.CASCADE, related_name="+"
    )
    notification_email = EncryptedTextField(_("E-Mail für Benachrichtigungen"), blank=True)
    updated_at = models.DateTimeField(_("geändert"), auto_now=True)

    class Meta:
        verbose_name = _("Postfach ohne Konto")
        verbose_name_plural = _("Postfächer ohne Konto")

    def __str__(self) -> str:
        return f"Postfach zu {self.submission_id}"


class AccessFailure(models.Model):
    """A wrong Vorgangsnummer/access code at the anonymous Postfach, counted per client
    address and per number within a window (rate limit against guessing)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    vorgangsnummer = models.CharField(max_length=40, db_index=True)

    class Meta:
        verbose_name = _("fehlgeschlagener Postfach-Zugang")
        verbose_name_plural = _("fehlgeschlagene Postfach-Zugänge")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.ip_address}"
