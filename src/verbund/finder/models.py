"""Zuständigkeiten: which authority provides which service for which area.

Most responsibilities follow from the structure of municipal law (see `resolution`); a
`Zustaendigkeit` records the exceptions and the designated authorities of Land and Bund
services. The most specific area wins: Gemeinde before Verband before Kreis before Land.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.authorities.types import Authority
from verbund.catalogue.types import Service
from verbund.core.models import TimeStampedModel
from verbund.gebiete.types import Gebiet, Level


class Zustaendigkeit(TimeStampedModel):
    """An explicit responsibility: `authority` provides `service` for `gebiet`."""

    service = models.ForeignKey(
        Service,
        verbose_name=_("Leistung"),
        on_delete=models.CASCADE,
        related_name="zustaendigkeiten",
    )
    authority = models.ForeignKey(
        Authority,
        verbose_name=_("Behörde"),
        on_delete=models.CASCADE,
        related_name="zustaendigkeiten",
    )
    gebiet = models.ForeignKey(
        Gebiet,
        verbose_name=_("Gebiet"),
        on_delete=models.PROTECT,
        related_name="zustaendigkeiten",
        help_text=_("Gemeinde, Gemeindeverband, Kreis or Land for which the authority acts."),
    )
    note = models.CharField(
        _("Hinweis"),
        max_length=300,
        blank=True,
        help_text=_("Shown to citizens as the reason, e.g. the legal basis."),
    )
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)

    class Meta:
        verbose_name = _("Zuständigkeit")
        verbose_name_plural = _("Zuständigkeiten")
        ordering = ["service__slug", "gebiet__ars"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "authority", "gebiet"], name="zustaendigkeit_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} · {self.gebiet.name} → {self.authority}"

    def clean(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("Das Ende liegt vor dem Beginn der Gültigkeit.")}
            )
        if self.gebiet_id and self.gebiet.level == Level.REGIERUNGSBEZIRK:
            raise ValidationError({"gebiet": _("Bitte Gemeinde, Verband, Kreis oder Land.")})

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class CacheState(models.Model):
    """One row whose token changes with every write the finder's per-process cache depends
    on; a process compares it to the token of its snapshot (see `resolution.snapshot`)."""

    token = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("Zwischenspeicher-Stand")
        verbose_name_plural = _("Zwischenspeicher-Stand")

    def __str__(self) -> str:
        return str(self.token)


class OfficeKind(TimeStampedModel):
    """A kind of district office of a Land or federal authority (Finanzamt, Grundbuchamt,
    Agentur für Arbeit …): its offices provide the kind's services, each for its district.
    The finder answers such a service with the office of the citizen's district, and never
    with the authority that runs the offices, which does not serve citizens."""

    slug = models.SlugField(_("Kurzname"), max_length=60, unique=True)
    name = models.CharField(
        _("Art der Behörde"), max_length=120, help_text=_("Einzahl, z. B. „Finanzamt“.")
    )
    land = models.ForeignKey(
        Gebiet,
        verbose_name=_("Land"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Das Land, dessen Redaktion die Bezirke pflegt."),
    )
    parent = models.ForeignKey(
        Authority,
        verbose_name=_("führende Behörde"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Land- oder Bundesbehörde, der die Ämter angehören; Bürgern nie genannt."),
    )
    services = models.ManyToManyField(
        Service, verbose_name=_("Leistungen"), related_name="office_kinds", blank=True
    )
    plain_answer = models.TextField(
        _("Antwort, solange der Bezirk nicht bekannt ist"),
        help_text=_("z. B. „Zuständig ist das Finanzamt Ihres Wohnorts …“"),
    )
    is_demo_data = models.BooleanField(_("Demodaten"), default=False)

    class Meta:
        verbose_name = _("Art der Bezirksbehörde")
        verbose_name_plural = _("Arten der Bezirksbehörden")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OfficeDistrict(TimeStampedModel):
    """An office's district: `office` provides the services of `kind` for `gebiet` (a
    Kreis, Verband or Gemeinde) during the validity period."""

    kind = models.ForeignKey(
        OfficeKind,
        verbose_name=_("Art der Bezirksbehörde"),
        on_delete=models.CASCADE,
        related_name="districts",
    )
    office = models.ForeignKey(
        Authority, verbose_name=_("Amt"), on_delete=models.PROTECT, related_name="districts"
    )
    gebiet = models.ForeignKey(
        Gebiet, verbose_name=_("Gebiet"), on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(_("gültig ab"), null=True, blank=True)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)
    note = models.CharField(_("Hinweis"), max_length=300, blank=True)
    is_demo_data = models.BooleanField(
        _("Demodaten"),
        default=False,
        help_text=_("Nicht aus einer amtlichen Quelle; nur zur Vorführung."),
    )

    class Meta:
        verbose_name = _("Amtsbezirk")
        verbose_name_plural = _("Amtsbezirke")
        ordering = ["kind", "office__name", "gebiet__ars"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "office", "gebiet"], name="office_district_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office} · {self.gebiet.name}"

    def clean(self) -> None:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("Das Ende liegt vor dem Beginn der Gültigkeit.")}
            )
        if self.gebiet_id and self.gebiet.level not in {
            Level.GEMEINDE,
            Level.VERBAND,
            Level.KREIS,
        }:
            raise ValidationError(
                {"gebiet": _("Ein Amtsbezirk besteht aus Kreisen, Verbänden oder Gemeinden.")}
            )

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )
