"""Pure rules of the cost allocation (Kostenverteilung): the components the Land meters, the
allocation keys (Verteilschlüssel) the cooperation agreement sets per component and year,
and the rounding that makes the statements of a period sum to the cost to the cent. No
database; money in integer cents, quotas as exact fractions."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_noop

# --- the metered components -----------------------------------------------------------------

APPLICATIONS = "applications"
INVOICES = "invoices"
BACKOFFICE_USERS = "backoffice_users"
POSTFACH = "postfach"
DATASETS = "datasets"
STORAGE = "storage"

# Order of the statement lines; labels are translated where shown (gettext_noop marks them).
COMPONENTS: dict[str, str] = {
    APPLICATIONS: gettext_noop("Online-Anträge (Antragsmanagement)"),
    INVOICES: gettext_noop("E-Rechnungseingang"),
    BACKOFFICE_USERS: gettext_noop("Behördenportal (aktive Konten)"),
    POSTFACH: gettext_noop("Postfach-Nachrichten"),
    DATASETS: gettext_noop("Open-Data-Portal (veröffentlichte Datensätze)"),
    STORAGE: gettext_noop("Speicher (Byte am Monatsende)"),
}

# --- the allocation keys --------------------------------------------------------------------

LAND_PAYS_ALL = "land"
POPULATION = "population"
USAGE = "usage"
BASE_PLUS_USAGE = "base_plus_usage"

KEYS: dict[str, str] = {
    LAND_PAYS_ALL: gettext_noop("Das Land trägt alles"),
    POPULATION: gettext_noop("nach Einwohnern"),
    USAGE: gettext_noop("nach Nutzung"),
    BASE_PLUS_USAGE: gettext_noop("Grundbetrag je Behörde und Nutzung"),
}

CENTS = 100
MAX_COST = Decimal("100000000.00")  # per component and year


def to_cents(amount: Decimal) -> int:
    return int((amount * CENTS).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / CENTS).quantize(Decimal("0.01"))


def parse_month(text: str) -> datetime.date:
    """`2026-11` → the first day of that month; ValueError for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if match is None:
        raise ValueError(text)
    year, month = int(match[1]), int(match[2])
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        raise ValueError(text)
    return datetime.date(year, month, 1)


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """First day of the month and first day of the next (half-open interval)."""
    start = month.replace(day=1)
    after = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, after


def cost_errors(*, amount: Decimal | None, key: str, base_fee: Decimal | None) -> dict[str, str]:
    """What is wrong with a cost entry (field → German message)."""
    errors: dict[str, str] = {}
    if amount is None or amount < 0 or amount > MAX_COST:
        errors["betrag"] = f"Die Kosten müssen zwischen 0 und {MAX_COST} Euro liegen."
    elif amount != amount.quantize(Decimal("0.01")):
        errors["betrag"] = "Die Kosten haben höchstens zwei Nachkommastellen."
    if key not in KEYS:
        errors["schluessel"] = "Bitte einen Verteilschlüssel wählen."
    if key == BASE_PLUS_USAGE:
        if base_fee is None or base_fee < 0 or base_fee > MAX_COST:
            errors["grundbetrag"] = "Bitte den monatlichen Grundbetrag je Behörde angeben."
        elif base_fee != base_fee.quantize(Decimal("0.01")):
            errors["grundbetrag"] = "Der Grundbetrag hat höchstens zwei Nachkommastellen."
    return errors


# --- rounding: largest remainder (Hare–Niemeyer) --------------------------------------------


def apportion(total: int, quotas: Mapping[str, Fraction]) -> dict[str, int]:
    """Whole cents for exact quotas that sum to `total`, by the largest remainder method
    (Hare–Niemeyer, as § 6 BWahlG used it until 2008): every party gets the floor of its
    quota; the cents left over go one each to the largest fractional remainders. Ties are
    broken by the party key in ascending order (the ARS comes first in it), so the result
    never depends on the order of the input. The shares sum exactly to `total`, none is
    negative, and a larger quota never gets fewer cents than a smaller one."""
    if total < 0:
        raise ValueError("negative total")
    if any(q < 0 for q in quotas.values()):
        raise ValueError("negative quota")
    if sum(quotas.values(), Fraction(0)) != total:
        raise ValueError("quotas do not sum to the total")
    shares = {party: int(q.numerator // q.denominator) for party, q in quotas.items()}
    left = total - sum(shares.values())
    by_remainder = sorted(quotas, key=lambda party: (-(quotas[party] - shares[party]), party))
    for party in by_remainder[:left]:
        shares[party] += 1
    return shares


def monthly_cost(year_cents: int, month: int) -> int:
    """The cents of a yearly cost that fall on one month: twelve equal quotas apportioned by
    the largest remainder, so the twelve months sum exactly to the year (the odd cents fall
    on the first months)."""
    months = apportion(year_cents, {f"{m:02d}": Fraction(year_cents, 12) for m in range(1, 13)})
    return months[f"{month:02d}"]


def _proportional(total: int, weights: Mapping[str, int]) -> dict[str, Fraction]:
    whole = sum(weights.values())
    return {party: Fraction(total * weight, whole) for party, weight in weights.items()}


def allocate(
    *,
    key: str,
    cost: int,
    land: str,
    population: Mapping[str, int],
    usage: Mapping[str, int],
    base_fee: int = 0,
) -> dict[str, int]:
    """The cents of `cost` each party bears under the key: `land` is the Land's party key,
    `population` and `usage` map the participating authorities' keys (ARS first) to their
    weights. Every participant appears in the result, the Land too, and the result sums to
    `cost` exactly.

    - LAND_PAYS_ALL: the Land bears everything.
    - POPULATION: in proportion to the population; without any population the Land bears it.
    - USAGE: in proportion to the metered usage; what nobody used the Land bears.
    - BASE_PLUS_USAGE: every participant a base fee (all of them the same; when the fees
      exceed the cost, the cost is split equally), the rest in proportion to usage (the Land
      bears it when nobody used the component).
    Rounding: `apportion` on the exact quotas, one pass over all parties."""
    if cost < 0 or base_fee < 0:
        raise ValueError("negative amount")
    if any(w < 0 for w in population.values()) or any(w < 0 for w in usage.values()):
        raise ValueError("negative weight")
    if land in population or land in usage:
        raise ValueError("the Land is no participant")
    participants = sorted(set(population) | set(usage))
    quotas = {party: Fraction(0) for party in participants}
    quotas[land] = Fraction(0)
    weights: Mapping[str, int]
    rest = cost
    if key == LAND_PAYS_ALL or not participants:
        quotas[land] = Fraction(cost)
        return apportion(cost, quotas)
    if key == POPULATION:
        weights = {p: population.get(p, 0) for p in participants}
    elif key in (USAGE, BASE_PLUS_USAGE):
        weights = {p: usage.get(p, 0) for p in participants}
        if key == BASE_PLUS_USAGE:
            base_total = min(cost, base_fee * len(participants))
            for party in participants:
                quotas[party] += Fraction(base_total, len(participants))
            rest = cost - base_total
    else:
        raise ValueError(f"unknown key {key}")
    if sum(weights.values()) == 0:
        quotas[land] += rest
    else:
        for party, quota in _proportional(rest, weights).items():
            quotas[party] += quota
    return apportion(cost, quotas)


def format_euro(cents: int) -> str:
    """German notation: 1.234,50 €."""
    text = f"{from_cents(cents):,.2f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".") + "\u00a0€"
