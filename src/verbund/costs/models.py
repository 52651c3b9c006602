"""Usage metering (Messung) of the shared components per authority and month, the costs the
Land enters per component and year with their allocation key (Verteilschlüssel), and the
statements (Abrechnungen) that allocate a month's cost to the authorities."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from verbund.core.models import TimeStampedModel
from verbund.costs import rules

COMPONENT_CHOICES = list(rules.COMPONENTS.items())
KEY_CHOICES = list(rules.KEYS.items())


class Usage(models.Model):
    """One metered figure: what an authority used of a component in a month. `detail`
    splits a component (the service's slug for applications); the component's total for the
    month is the sum over its details. Rows are computed from the records' timestamps and
    replaced as a whole when the month is metered again."""

    authority = models.ForeignKey(
        "authorities.Authority",
        verbose_name=_("Behörde"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    month = models.DateField(_("Monat"), db_index=True)
    component = models.CharField(_("Komponente"), max_length=30, choices=COMPONENT_CHOICES)
    detail = models.CharField(_("Aufschlüsselung"), max_length=200, blank=True)
    quantity = models.BigIntegerField(_("Menge"))
    metered_at = models.DateTimeField(_("gemessen am"))

    class Meta:
        verbose_name = _("Messwert")
        verbose_name_plural = _("Messwerte")
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "month", "component", "detail"], name="costs_usage_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.authority_id} {self.component} {self.detail}"


class ComponentCost(TimeStampedModel):
    """The cost of a shared component in a year, as the Land enters it, and the key by which
    the agreement allocates it."""

    land = models.ForeignKey(
        "gebiete.Gebiet", verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    component = models.CharField(_("Komponente"), max_length=30, choices=COMPONENT_CHOICES)
    year = models.PositiveSmallIntegerField(_("Jahr"))
    amount = models.DecimalField(_("Kosten im Jahr"), max_digits=14, decimal_places=2)
    key = models.CharField(_("Verteilschlüssel"), max_length=20, choices=KEY_CHOICES)
    base_fee = models.DecimalField(
        _("Grundbetrag je Behörde und Monat"), max_digits=12, decimal_places=2, default=0
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("erfasst von"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("Kosten einer Komponente")
        verbose_name_plural = _("Kosten der Komponenten")
        ordering = ["-year", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["land", "component", "year"], name="costs_component_cost_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.component}: {self.amount}"


class Allocation(models.Model):
    """How one component's cost of one month was allocated, with everything used to do it:
    the key, the month's cost, the base fee and the weights of every party (population or
    usage), so that the shares can be recomputed and checked (`queries.recompute`)."""

    land = models.ForeignKey(
        "gebiete.Gebiet", verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("Monat"))
    component = models.CharField(_("Komponente"), max_length=30, choices=COMPONENT_CHOICES)
    key = models.CharField(_("Verteilschlüssel"), max_length=20, choices=KEY_CHOICES)
    cost_cents = models.BigIntegerField(_("Kosten des Monats in Cent"))
    base_fee_cents = models.BigIntegerField(_("Grundbetrag in Cent"), default=0)
    land_party = models.CharField(_("Schlüssel des Landes"), max_length=20)
    # party key ("<ARS> <slug>") → weight, for the population and the usage of the month
    population = models.JSONField(_("Einwohner je Behörde"), default=dict)
    usage = models.JSONField(_("Nutzung je Behörde"), default=dict)
    # party key → cents
    shares = models.JSONField(_("Anteile in Cent"), default=dict)
    computed_at = models.DateTimeField(_("berechnet am"))

    class Meta:
        verbose_name = _("Kostenverteilung")
        verbose_name_plural = _("Kostenverteilungen")
        ordering = ["-month", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["land", "month", "component"], name="costs_allocation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.component}"


class Statement(models.Model):
    """An authority's statement (Abrechnung) for a month: one line per component with its
    share. The lines are copied from the month's allocations when the statements are issued."""

    authority = models.ForeignKey(
        "authorities.Authority",
        verbose_name=_("Behörde"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    land = models.ForeignKey(
        "gebiete.Gebiet", verbose_name=_("Land"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("Monat"))
    party = models.CharField(_("Schlüssel"), max_length=120)
    total_cents = models.BigIntegerField(_("Summe in Cent"))
    # [{component, key, cost_cents, weight, total_weight, base_fee_cents, share_cents}]
    lines = models.JSONField(_("Positionen"), default=list)
    issued_at = models.DateTimeField(_("erstellt am"))
    notified_at = models.DateTimeField(_("Verwaltung benachrichtigt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Abrechnung")
        verbose_name_plural = _("Abrechnungen")
        ordering = ["-month", "party"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "month"], name="costs_statement_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.party}"
