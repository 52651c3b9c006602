"""The funding report of the Land console: the ledger of every call, summed per programme,
and the applications by status, Kreis and decision time. Callers pass the operator's own
Land (`queries.land_of_operator_or_404`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from verbund.cooperation import rules
from verbund.cooperation.models import FundingApplication, FundingCall, FundingProgramme
from verbund.cooperation.queries import funding_calls, funding_programmes, ledger
from verbund.gebiete.types import Gebiet


@dataclass(frozen=True)
class CallReport:
    call: FundingCall
    totals: dict[str, Decimal]
    open_count: int


def funding_report(land: Gebiet) -> list[CallReport]:
    return [
        CallReport(
            call=call,
            totals=ledger(call),
            open_count=call.applications.filter(status__in=rules.OPEN_FUNDING).count(),
        )
        for call in funding_calls(land)
    ]


@dataclass(frozen=True)
class ProgrammeReport:
    """A programme's calls (newest year first) and their sums; `programme` None gathers
    the calls opened before programmes existed."""

    programme: FundingProgramme | None
    calls: list[CallReport]
    totals: dict[str, Decimal]
    open_count: int

    @property
    def title(self) -> str:
        return self.programme.title if self.programme else gettext("ohne Förderprogramm")


def funding_report_by_programme(land: Gebiet) -> list[ProgrammeReport]:
    groups: dict[int | None, list[CallReport]] = {}
    for report in funding_report(land):
        groups.setdefault(report.call.programme_id, []).append(report)
    programmes = {p.pk: p for p in funding_programmes(land)}
    reports = [
        ProgrammeReport(
            programme=programmes.get(key) if key is not None else None,
            calls=calls,
            totals={
                name: sum((c.totals[name] for c in calls), Decimal(0))
                for name in ("budget", "committed", "paid", "available")
            },
            open_count=sum(c.open_count for c in calls),
        )
        for key, calls in groups.items()
    ]
    return sorted(reports, key=lambda r: (r.programme is None, r.title))


@dataclass(frozen=True)
class FundingStatistics:
    by_status: list[tuple[str, int]]
    by_kreis: list[tuple[str, int, int]]  # Kreis, applications, of them open
    median_days: float | None
    max_days: int | None


def funding_statistics(land: Gebiet) -> FundingStatistics:
    """Applications by status and by Kreis of the applicant, and how long decisions took."""
    applications = list(
        FundingApplication.objects.filter(call__land=land).select_related(
            "applicant__gebiet__kreis"
        )
    )
    status: dict[str, int] = {}
    kreise: dict[str, list[int]] = {}
    days = []
    for application in applications:
        label = application.get_status_display()
        status[label] = status.get(label, 0) + 1
        gebiet = application.applicant.gebiet
        kreis = gebiet.kreis.display_name if gebiet.kreis is not None else gebiet.display_name
        counts = kreise.setdefault(kreis, [0, 0])
        counts[0] += 1
        counts[1] += application.status in rules.OPEN_FUNDING
        if application.decided_at is not None:
            days.append(rules.age_in_days(application.submitted_at, application.decided_at))
    median, maximum = rules.decision_times(days)
    return FundingStatistics(
        by_status=sorted(status.items()),
        by_kreis=[(name, c[0], c[1]) for name, c in sorted(kreise.items())],
        median_days=median,
        max_days=maximum,
    )
