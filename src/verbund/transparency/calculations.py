"""Counting the transparency figures from the records of the other domains (decision 0021).

Everything is read through the other domains' `queries.py`, once per run, and counted in
memory; the result is a list of `FigureRow`s, independent of the order of the records, so
that two runs over the same records give the same figures."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
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


@dataclass
class _Regions:
    """The regions a run counts for: the Land, its Kreise and Gemeinden, and the Gebiete whose
    authorities count for each (`_authority_gebiete`)."""

    territory: Territory
    levels: dict[str, str]
    kreis_of: dict[str, str]
    gebiete_of_region: dict[str, set[int]]
    regions_of_gebiet: dict[int, list[str]]

    @classmethod
    def of(cls, territory: Territory) -> _Regions:
        levels: dict[str, str] = {territory.land.key: "land"}
        levels |= {k.key: "kreis" for k in territory.kreise}
        levels |= {g.key: "gemeinde" for g in territory.gemeinden}
        gebiete_of_region = _authority_gebiete(territory)
        regions_of_gebiet: dict[int, list[str]] = defaultdict(list)
        for region, gebiet_ids in gebiete_of_region.items():
            for gebiet_id in gebiet_ids:
                regions_of_gebiet[gebiet_id].append(region)
        return cls(
            territory=territory,
            levels=levels,
            kreis_of={g.key: g.key[:5] for g in territory.gemeinden},
            gebiete_of_region=gebiete_of_region,
            regions_of_gebiet=regions_of_gebiet,
        )

    @property
    def land_key(self) -> str:
        return str(self.territory.land.key)

    def of_place(self, ags: str) -> list[str]:
        """The regions an event at the Gemeinde `ags` counts for (Gemeinde, Kreis, Land)."""
        if ags in self.kreis_of:
            return [ags, self.kreis_of[ags], self.land_key]
        return [self.land_key] if ags[:2] == self.land_key or not ags else []


def compute_figures(land: Gebiet) -> list[FigureRow]:
    regions = _Regions.of(load_territory(land))
    rows = _online_rows(regions)
    submissions = application_queries.released_submission_facts()
    durations = _application_rows(regions, submissions, rows)
    authority_rows = list(
        authority_queries.authorities().values("pk", "gebiet_id", "phone", "email", "opening_hours")
    )
    gebiet_of_authority = {a["pk"]: a["gebiet_id"] for a in authority_rows}
    _einvoice_rows(regions, gebiet_of_authority, rows)
    _dataset_rows(regions, gebiet_of_authority, rows)
    _indicator_rows(regions, authority_rows, durations, submissions, rows)
    return sorted(rows, key=lambda r: (r.level, r.key, r.measure, r.period, r.service))


def _online_rows(regions: _Regions) -> list[FigureRow]:
    """Online availability: services online per Gemeinde, OZG and top-service coverage, as
    the mean over the Gemeinden of each region."""
    territory = regions.territory
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
        members[regions.land_key].append(gemeinde.key)
    rows = []
    for region, keys in members.items():
        for measure in (
            rules.SERVICES_ONLINE,
            rules.COVERAGE_OZG,
            rules.COVERAGE_TOP,
            rules.IND_ONLINE,
        ):
            values = [v for k in keys if (v := per_gemeinde[k][measure]) is not None]
            mean = sum(values) / len(values) if values else None
            rows.append(FigureRow(regions.levels[region], region, measure, mean, len(keys)))
    return rows


def _application_rows(
    regions: _Regions, submissions: list[dict[str, Any]], rows: list[FigureRow]
) -> dict[str, list[float]]:
    """Applications per month (and per service in the Land), totals, median processing time
    and the share with eID; returns the processing times in days per region."""
    decided = casework_queries.first_decision_times()
    per_month: Counter[tuple[str, str]] = Counter()
    per_service_month: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    durations: dict[str, list[float]] = defaultdict(list)
    with_eid: Counter[str] = Counter()
    for row in submissions:
        month = rules.month_of(row["released_at"])
        places = regions.of_place(row["place_ags"] or "")
        if not places:
            continue
        per_service_month[(month, row["service__slug"])] += 1
        decided_at = decided.get(row["pk"])
        for region in places:
            per_month[(region, month)] += 1
            totals[region] += 1
            if row["applicant__trust_level"] in EID_LEVELS:
                with_eid[region] += 1
            if decided_at is not None:
                days = (decided_at - row["released_at"]).total_seconds() / 86400
                durations[region].append(max(days, 0.0))
    for (region, month), count in per_month.items():
        rows.append(
            FigureRow(regions.levels[region], region, rules.APPLICATIONS, count, count, month)
        )
    for (month, slug), count in per_service_month.items():
        rows.append(
            FigureRow("land", regions.land_key, rules.APPLICATIONS, count, count, month, slug)
        )
    for region, level in regions.levels.items():
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
    return durations


def _einvoice_rows(
    regions: _Regions, gebiet_of_authority: dict[int, int], rows: list[FigureRow]
) -> None:
    """E-invoices per month and rejected, by the receiving authority's area."""
    invoices: Counter[tuple[str, str]] = Counter()
    rejected: Counter[tuple[str, str]] = Counter()
    for row in einvoice_queries.invoice_facts():
        if row["authority_id"] is None:
            continue
        month = rules.month_of(row["received_at"])
        gebiet = gebiet_of_authority.get(row["authority_id"], 0)
        for region in regions.regions_of_gebiet.get(gebiet, []):
            invoices[(region, month)] += 1
            rejected[(region, month)] += row["rejected"]
    invoice_totals: Counter[str] = Counter()
    rejected_totals: Counter[str] = Counter()
    for (region, month), count in invoices.items():
        level = regions.levels[region]
        rows.append(FigureRow(level, region, rules.EINVOICES, count, count, month))
        bad = rejected[(region, month)]
        rows.append(FigureRow(level, region, rules.EINVOICES_REJECTED, bad, count, month))
        invoice_totals[region] += count
        rejected_totals[region] += bad
    for region, level in regions.levels.items():
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


def _dataset_rows(
    regions: _Regions, gebiet_of_authority: dict[int, int], rows: list[FigureRow]
) -> None:
    """Datasets published, by the publishing authority's area (not the platform's own)."""
    datasets: Counter[str] = Counter()
    for authority_id in (
        opendata_queries.published_datasets()
        .exclude(name__startswith=PLATFORM_DATASET_PREFIX)
        .values_list("authority_id", flat=True)
    ):
        for region in regions.regions_of_gebiet.get(gebiet_of_authority.get(authority_id, 0), []):
            datasets[region] += 1
    for region, level in regions.levels.items():
        rows.append(FigureRow(level, region, rules.DATASETS, datasets[region], datasets[region]))


def _indicator_rows(
    regions: _Regions,
    authority_rows: Sequence[Mapping[str, Any]],
    durations: dict[str, list[float]],
    submissions: list[dict[str, Any]],
    rows: list[FigureRow],
) -> None:
    """The benchmark's indicators: user support, transparency of service delivery, once-only."""
    supporting = {
        a["gebiet_id"]
        for a in authority_rows
        if (a["phone"] or a["email"]) and a["opening_hours"].strip()
    }
    located = {a["gebiet_id"] for a in authority_rows}
    online_values = {r.key: r.value for r in rows if r.measure == rules.SERVICES_ONLINE}
    kreis_ids = {k.pk for k in regions.territory.kreise}
    for region, level in regions.levels.items():
        here = regions.gebiete_of_region[region] & located
        if level == "gemeinde":
            here |= {g for g in regions.gebiete_of_region[region[:5]] if g in located} & kreis_ids
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
            regions.land_key,
            rules.IND_PREFILL,
            rules.share(min(prefilled, web_with_account), web_with_account),
            web_with_account,
        )
    )


def regions_with_names(territory: Territory) -> Iterable[tuple[str, str, str]]:
    yield ("land", territory.land.key, territory.land.display_name)
    for kreis in territory.kreise:
        yield ("kreis", kreis.key, kreis.display_name)
    for gemeinde in territory.gemeinden:
        yield ("gemeinde", gemeinde.key, gemeinde.display_name)
