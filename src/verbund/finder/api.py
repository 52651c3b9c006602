"""Public API of the responsibility finder: `GET /api/v1/finder`."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Schema
from ninja.params import P, QueryEx

from verbund.authorities.types import Authority, AuthorityOut, authority_out
from verbund.core.schemas import SLUG_PATTERN, Problem
from verbund.finder import cache, queries
from verbund.finder.resolution import Answer, Basis, Place

router = Router(tags=["Zuständigkeitsfinder"])


class FinderService(Schema):
    slug: str
    leika_key: str
    name: str
    level: str = Field(description="gemeinde, kreis, land, bund oder leer")
    wirkungskreis: str = Field(description="eigen, uebertragen oder leer")


class PlaceOut(Schema):
    ags: str
    ars: str
    name: str


class Candidate(Schema):
    ags: str
    name: str


class FinderAnswer(Schema):
    service: FinderService
    authority: AuthorityOut | None = Field(
        description="null, wenn der Ort mehrdeutig ist oder keine Behörde erfasst ist"
    )
    basis: str = Field(description="Grund der Antwort: " + ", ".join(Basis.values))
    explanation: str = Field(description="Begründung in einem deutschen Satz")
    gemeinde: PlaceOut | None = Field(description="die Gemeinde, für die geantwortet wurde")
    candidates: list[Candidate] = Field(
        description="bei mehrdeutigem Ort (PLZ mit mehreren Gemeinden): zur Auswahl"
    )
    office_kind: str = Field(
        default="",
        description="Art der Bezirksbehörde (z. B. „Finanzamt“), wenn Ämter mit Bezirken "
        "die Leistung erbringen; bei basis=district_unknown hängt das Amt von der Anschrift ab",
    )


def _authority(authority: Authority) -> dict[str, Any]:
    return cast(
        "dict[str, Any]",
        cache.snapshot().remember(
            ("authority", authority.pk), lambda: authority_out(authority).model_dump()
        ),
    )


def answer_out(answer: Answer) -> dict[str, Any]:
    """The answer in the documented shape (`FinderAnswer`), as plain data: the finder is on
    the hot path, so the view renders it without a second validation pass (the test of
    the API contract checks the shape)."""
    service = answer.service
    gemeinde = answer.gemeinde
    return {
        "service": {
            "slug": service.slug,
            "leika_key": service.leika_key,
            "name": service.name,
            "level": service.level,
            "wirkungskreis": service.wirkungskreis,
        },
        "authority": _authority(answer.authority) if answer.authority else None,
        "basis": str(answer.basis),
        "explanation": answer.explanation,
        "gemeinde": {"ags": gemeinde.ags, "ars": gemeinde.ars, "name": gemeinde.display_name}
        if gemeinde
        else None,
        "candidates": [{"ags": c.ags, "name": c.display_name} for c in answer.candidates],
        "office_kind": answer.office_kind,
    }


@router.get(
    "/finder",
    response={200: FinderAnswer, 404: Problem, 422: Problem},
    summary="Wer ist zuständig?",
    description=(
        "Die zuständige Behörde für eine Leistung an einem Ort, mit Begründung. Ort als "
        "Amtlicher Gemeindeschlüssel (`ags`, 8 Ziffern), Regionalschlüssel (`ars`, 12 "
        "Ziffern) oder Postleitzahl (`plz`, optional mit `ort`). Reihenfolge: erfasste "
        "Zuständigkeit (Gemeinde vor Verband vor Kreis vor Land), sonst die Regel der "
        "Thüringer Kommunalordnung. Gehört eine PLZ zu mehreren Gemeinden mit "
        "unterschiedlicher Antwort, ist `authority` null und `candidates` nennt die "
        "Gemeinden zur Auswahl. Unbekannte Leistung oder unbekannter Ort: 404; "
        "fehlerhafte Eingabe: 422. `gebiet.ars` der Behörde: für eine "
        "Verwaltungsgemeinschaft Kreis (5) + Verband (4) + `000`, für einen Kreis "
        "`<kreis>0000000`, für das Land `160000000000`."
    ),
)
def finder(
    request: HttpRequest,
    service: QueryEx[str, P(max_length=80, pattern=SLUG_PATTERN, description="Kurzname")],
    ags: QueryEx[str | None, P(default=None, description="Gemeindeschlüssel")] = None,
    ars: QueryEx[str | None, P(default=None, description="Regionalschlüssel")] = None,
    plz: QueryEx[str | None, P(default=None, description="Postleitzahl")] = None,
    ort: QueryEx[str | None, P(default=None, description="Ortsname")] = None,
) -> HttpResponse:
    place = Place(ags=ags or None, ars=ars or None, plz=plz or None, ort=ort or None)
    return JsonResponse(answer_out(queries.find(service_slug=service, place=place)))
