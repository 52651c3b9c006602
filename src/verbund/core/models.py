"""Base model and audit log shared by every domain."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("angelegt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert"), auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """One recorded change: who did what to which object, and the state before and after.

    Written by `verbund.core.audit.record_audit` inside the transaction of the change itself,
    so an audit row exists exactly when the change was committed. The rows form a hash
    chain (`verbund.core.audit_chain`): each carries its position and the hash of its
    predecessor, so `verbund verify-audit` finds any changed, deleted or inserted row.
    """

    at = models.DateTimeField(_("Zeitpunkt"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handelnde Person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("Handelnde(r)"), max_length=200)
    action = models.CharField(_("Aktion"), max_length=100, db_index=True)
    object_type = models.CharField(_("Objekttyp"), max_length=100)
    object_id = models.CharField(_("Objekt-ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("Objekt"), max_length=300, blank=True)
    before = models.JSONField(_("vorher"), null=True, blank=True)
    after = models.JSONField(_("nachher"), null=True, blank=True)
    details = models.JSONField(_("Einzelheiten"), default=dict, blank=True)
    # Covered by the chain instead of `actor`/`actor_label`, which change lawfully when an
    # account is deleted (the key stays `user:<number>`, no personal data).
    actor_ref = models.CharField(_("Handelnde(r), Schlüssel"), max_length=220, blank=True)
    position = models.BigIntegerField(_("Kettenposition"), null=True, unique=True)
    previous_hash = models.CharField(_("Hash des Vorgängers"), max_length=64, blank=True)
    entry_hash = models.CharField(_("Hash"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Protokoll")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """The end of the audit hash chain: one row, locked by every audit write so that
    positions are assigned one after the other on every database."""

    position = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("Ende der Protokollkette")
        verbose_name_plural = _("Ende der Protokollkette")

    def __str__(self) -> str:
        return f"{self.position}: {self.last_hash[:12]}"


class WorkerHeartbeat(models.Model):
    """A running task worker (`verbund worker`) and when it last reported; `/healthz` reads
    whether any worker is alive."""

    worker_id = models.CharField(_("Worker"), max_length=64, primary_key=True)
    queues = models.CharField(_("Warteschlangen"), max_length=200, blank=True)
    seen_at = models.DateTimeField(_("zuletzt gemeldet"), db_index=True)

    class Meta:
        verbose_name = _("Task-Worker")
        verbose_name_plural = _("Task-Worker")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.seen_at:%Y-%m-%d %H:%M:%S})"


class PageGeneration(models.Model):
    """The generation of what public pages show (decision 0031): every save or delete of a
    service, a Zuständigkeit, a form or a rollout replaces the token inside its transaction,
    so that no cached page of an older generation is served again."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.UUIDField(_("Token"), default=uuid.uuid4)

    class Meta:
        verbose_name = _("Stand der öffentlichen Seiten")
        verbose_name_plural = _("Stand der öffentlichen Seiten")

    def __str__(self) -> str:
        return str(self.token)
