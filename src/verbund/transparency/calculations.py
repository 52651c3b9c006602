"""Counting the transparency figures from the records of the other domains (decision 0021).

Everything is read through the other domains' `queries.py`, once per run, and counted in
memory; the result is a list of `FigureRow`s, independent of the order of the records, so
that two runs over the same records give the same figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from verbund.applications import queries as application_queries
from verbund.authorities import queries as authority_queries
from verbund.casework import queries as casework_queries
from verbund.catalogue import queries as catalogue_queries
from verbund.core.models import AuditEntry
from verbund.einvoices import queries as einvoice_queries
from verbund.finder.types import Place
from verbund.gebiete import queries as gebiete_queries
from verbund.opendata import queries as opendata_queries
from verbund.transparency import rules

if TYPE_CHECKING:
    from verbund.gebiete.models import Gebiet

# Names of the datasets the platform publishes about itself: not counted as a region's data.
PLATFORM_DATASET_PREFIX = "verbund-kennzahlen"
# eIDAS levels of assurance reached with the online ID card (accounts.rules.TrustLevel)
EID_LEVELS = {"substantial", "high"}


@dataclass(frozen=True)
class FigureRow:
    level: str
    key: str
    measure: str
    value: float | None
    cases: int
    period: str = ""
    service: str = ""


@dataclass
class Region:
    level: str
    key: str
    name: str
    gebiet_ids: set[int] = field(default_factory=set)  # authorities located here count here


@dataclass
class Territory:
    land: Gebiet
    kreise: list[Gebiet]
    gemeinden: list[Gebiet]

    def kreis_key_of(self, ags: str) -> str:
        return ags[:5]


def load_territory(land: Gebiet) -> Territory:
    kreise = list(gebiete_queries.kreise_of(land).order_by("key"))
    gemeinden = [g for kreis in kreise for g in gebiete_queries.gemeinden_of_kreis(kreis)]
    return Territory(land=land, kreise=kreise, gemeinden=sorted(gemeinden, key=lambda g: g.key))


def _authority_gebiete(territory: Territory) -> dict[str, set[int]]:
    """Region key → the Gebiet ids whose authorities count for it: a Gemeinde counts its own
    administration and that of its Verband (VG or erfüllende Gemeinde), a Kreis everything
    located in it, the Land everything."""
    regions: dict[str, set[int]] = defaultdict(set)
    regions[territory.land.key].add(territory.land.pk)
    for kreis in territory.kreise:
        regions[kreis.key].add(kreis.pk)
        regions[territory.land.key].add(kreis.pk)
    for gemeinde in territory.gemeinden:
        own = {gemeinde.pk} | ({gemeinde.verband_id} if gemeinde.verband_id else set())
        regions[gemeinde.key] |= own
        regions[gemeinde.key[:5]] |= own
        regions[territory.land.key] |= own
    return regions


def _online_matrix(territory: Territory) -> tuple[list[Any], dict[str, set[str]]]:
    """The services with an online form, and per Gemeinde the slugs usable online there
    (the finder's responsible authority, then the online gates, as the service page asks)."""
    services = list(application_queries.services_with_forms())
    offered: dict[tuple[int, int], bool] = {}
    online: dict[str, set[str]] = {g.key: set() for g in territory.gemeinden}
    for service in services:
        version = application_queries.published_version(service)
        if version is None:
            continue
        form = application_queries.form_of(version)
        for gemeinde in territory.gemeinden:
            answer = application_queries.responsibility(
                service=service, form=form, place=Place(ags=gemeinde.key)
            )
            authority = answer.authority
            if authority is None:
                continue
            memo = (service.pk, authority.pk)
            if memo not in offered:
                offer = application_queries.online_offer(service, authority, gemeinde.key)
                offered[memo] = offer is not None and bool(offer.url)
            if offered[memo]:
                online[gemeinde.key].add(service.slug)
    return services, online


def compute_figures(land: Gebiet) -> list[FigureRow]:
    territory = load_territory(land)
    rows: list[FigureRow] = []
    land_key = land.key
    gemeinde_keys = {g.key for g in territory.gemeinden}
    kreis_of = {g.key: g.key[:5] for g in territory.gemeinden}
    region_levels: dict[str, str] = {land_key: "land"}
    region_levels |= {k.key: "kreis" for k in territory.kreise}
    region_levels |= {g.key: "gemeinde" for g in territory.gemeinden}

    def regions_of_place(ags: str) -> list[str]:
        """The regions an event at the Gemeinde `ags` counts for (Gemeinde, Kreis, Land)."""
        if ags in gemeinde_keys:
            return [ags, kreis_of[ags], land_key]
        return [land_key] if ags[:2] == land_key or not ags else []

    # --- online availability ---------------------------------------------------------------
    services, online = _online_matrix(territory)
    service_by_slug = {s.slug: s for s in services}
    ozg_of = {s.slug: s.ozg_leistung_id for s in services if s.ozg_leistung_id}
    ozg_total = (
        catalogue_queries.services()
        .exclude(ozg_leistung=None)
        .exclude(typisierung__in=["", "1"])
        .values("ozg_leistung_id")
        .distinct()
        .count()
    )
    top = list(
        catalogue_queries.curated_services()
        .order_by("-search_boost", "name")
        .values_list("slug", flat=True)[: rules.TOP_SERVICES]
    )
    per_gemeinde: dict[str, dict[str, float | None]] = {}
    for gemeinde in territory.gemeinden:
        slugs = online[gemeinde.key]
        ozg_online = len({ozg_of[s] for s in slugs if s in ozg_of})
        per_gemeinde[gemeinde.key] = {
            rules.SERVICES_ONLINE: float(len(slugs)),
            rules.COVERAGE_OZG: rules.share(ozg_online, ozg_total),
            rules.COVERAGE_TOP: rules.share(len(set(top) & slugs), len(top)),
            rules.IND_ONLINE: rules.share(len(slugs), len(service_by_slug)),
        }
    members: dict[str, list[str]] = defaultdict(list)
    for gemeinde in territory.gemeinden:
        members[gemeinde.key] = [gemeinde.key]
        members[gemeinde.key[:5]].append(gemeinde.key)
        members[land_key].append(gemeinde.key)
    for region, keys in members.items():
        for measure in (
            rules.SERVICES_ONLINE,
            rules.COVERAGE_OZG,
            rules.COVERAGE_TOP,
            rules.IND_ONLINE,
        ):
            values = [v for k in keys if (v := per_gemeinde[k][measure]) is not None]
            mean = sum(values) / len(values) if values else None
            rows.append(FigureRow(region_levels[region], region, measure, mean, len(keys)))

    # --- applications, processing time, eID ------------------------------------------------
    submissions = application_queries.released_submission_facts()
    decided = casework_queries.first_decision_times()
    per_month: Counter[tuple[str, str]] = Counter()
    per_service_month: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    durations: dict[str, list[float]] = defaultdict(list)
    with_eid: Counter[str] = Counter()
    for row in submissions:
        month = rules.month_of(row["released_at"])
        regions = regions_of_place(row["place_ags"] or "")
        if not regions:
            continue
        per_service_month[(month, row["service__slug"])] += 1
        decided_at = decided.get(row["pk"])
        for region in regions:
            per_month[(region, month)] += 1
            totals[region] += 1
            if row["applicant__trust_level"] in EID_LEVELS:
                with_eid[region] += 1
            if decided_at is not None:
                days = (decided_at - row["released_at"]).total_seconds() / 86400
                durations[region].append(max(days, 0.0))
    for (region, month), count in per_month.items():
        rows.append(
            FigureRow(region_levels[region], region, rules.APPLICATIONS, count, count, month)
        )
    for (month, slug), count in per_service_month.items():
        rows.append(FigureRow("land", land_key, rules.APPLICATIONS, count, count, month, slug))
    for region, level in region_levels.items():
        total = totals[region]
        rows.append(FigureRow(level, region, rules.APPLICATIONS_TOTAL, total, total))
        rows.append(
            FigureRow(
                level,
                region,
                rules.PROCESSING_MEDIAN,
                rules.median(durations[region]),
                len(durations[region]),
            )
        )
        rows.append(
            FigureRow(level, region, rules.IND_EID, rules.share(with_eid[region], total), total)
        )

    # --- e-invoices and datasets (by the receiving / publishing authority's area) ----------
    gebiete_of_region = _authority_gebiete(territory)
    regions_of_gebiet: dict[int, list[str]] = defaultdict(list)
    for region, gebiet_ids in gebiete_of_region.items():
        for gebiet_id in gebiet_ids:
            regions_of_gebiet[gebiet_id].append(region)
    authority_rows = list(
        authority_queries.authorities().values("pk", "gebiet_id", "phone", "email", "opening_hours")
    )
    gebiet_of_authority = {a["pk"]: a["gebiet_id"] for a in authority_rows}
    invoices: Counter[tuple[str, str]] = Counter()
    rejected: Counter[tuple[str, str]] = Counter()
    for row in einvoice_queries.invoice_facts():
        if row["authority_id"] is None:
            continue
        month = rules.month_of(row["received_at"])
        for region in regions_of_gebiet.get(gebiet_of_authority.get(row["authority_id"], 0), []):
            invoices[(region, month)] += 1
            rejected[(region, month)] += row["rejected"]
    invoice_totals: Counter[str] = Counter()
    rejected_totals: Counter[str] = Counter()
    for (region, month), count in invoices.items():
        level = region_levels[region]
        rows.append(FigureRow(level, region, rules.EINVOICES, count, count, month))
        bad = rejected[(region, month)]
        rows.append(FigureRow(level, region, rules.EINVOICES_REJECTED, bad, count, month))
        invoice_totals[region] += count
        rejected_totals[region] += bad
    for region, level in region_levels.items():
        total = invoice_totals[region]
        rows.append(
            FigureRow(
                level,
                region,
                rules.EINVOICES_REJECTED_SHARE,
                rules.share(rejected_totals[region], total),
                total,
            )
        )
    datasets: Counter[str] = Counter()
    for authority_id in (
        opendata_queries.published_datasets()
        .exclude(name__startswith=PLATFORM_DATASET_PREFIX)
        .values_list("authority_id", flat=True)
    ):
        for region in regions_of_gebiet.get(gebiet_of_authority.get(authority_id, 0), []):
            datasets[region] += 1
    for region, level in region_levels.items():
        rows.append(FigureRow(level, region, rules.DATASETS, datasets[region], datasets[region]))

    # --- user support, transparency of service delivery, once-only -------------------------
    supporting = {
        a["gebiet_id"]
        for a in authority_rows
        if (a["phone"] or a["email"]) and a["opening_hours"].strip()
    }
    located = {a["gebiet_id"] for a in authority_rows}
    online_values = {r.key: r.value for r in rows if r.measure == rules.SERVICES_ONLINE}
    for region, level in region_levels.items():
        here = gebiete_of_region[region] & located
        if level == "gemeinde":
            here |= {g for g in gebiete_of_region[region[:5]] if g in located} & {
                k.pk for k in territory.kreise
            }
        rows.append(
            FigureRow(
                level,
                region,
                rules.IND_SUPPORT,
                rules.share(len(here & supporting), len(here)),
                len(here),
            )
        )
        any_online = (online_values.get(region) or 0) > 0
        times_published = not rules.is_suppressed(len(durations[region])) and bool(
            durations[region]
        )
        rows.append(
            FigureRow(
                level,
                region,
                rules.IND_TRANSPARENCY,
                (50.0 + 50.0 * times_published) if any_online else None,
                2 * rules.MIN_CASES if any_online else 0,
            )
        )
    web_with_account = sum(
        1 for row in submissions if row["applicant__trust_level"] and row["channel"] == "web"
    )
    prefilled = AuditEntry.objects.filter(action="account.prefill_used").count()
    rows.append(
        FigureRow(
            "land",
            land_key,
            rules.IND_PREFILL,
            rules.share(min(prefilled, web_with_account), web_with_account),
            web_with_account,
        )
    )
    return sorted(rows, key=lambda r: (r.level, r.key, r.measure, r.period, r.service))


def regions_with_names(territory: Territory) -> Iterable[tuple[str, str, str]]:
    yield ("land", territory.land.key, territory.land.display_name)
    for kreis in territory.kreise:
        yield ("kreis", kreis.key, kreis.display_name)
    for gemeinde in territory.gemeinden:
        yield ("gemeinde", gemeinde.key, gemeinde.display_name)
