"""Public API of the territorial directory."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema

from verbund.core.schemas import Problem
from verbund.gebiete import queries
from verbund.gebiete.models import Gebiet

router = Router(tags=["Gebiete"])


class KreisRef(Schema):
    ags: str = Field(description="Kreisschlüssel (5 Ziffern)")
    name: str


class VerbandRef(Schema):
    key: str = Field(description="Kreis + Gemeindeverband (9 Ziffern)")
    ars: str
    name: str
    type: str = Field(description="verwaltungsgemeinschaft, erfuellende_gemeinde, amt, …")
    erfuellende_gemeinde: str | None = Field(
        None, description="AGS der erfüllenden Gemeinde, falls der Verband eine ist"
    )


class GemeindeOut(Schema):
    ags: str
    ars: str
    name: str
    type: str
    population: int | None
    area_ha: int | None
    kreis: KreisRef | None
    verband: VerbandRef | None
    plz: list[str]
    gebietsstand: datetime.date
    valid_until: datetime.date | None = Field(
        None, description="Gesetzt, wenn die Gemeinde nicht mehr besteht"
    )
    successor: str | None = Field(None, description="AGS der heutigen Nachfolgegemeinde")


class GemeindeList(Schema):
    items: list[GemeindeOut]
    count: int


def gemeinde_out(unit: Gebiet) -> GemeindeOut:
    verband = unit.verband
    return GemeindeOut(
        ags=unit.ags,
        ars=unit.ars,
        name=unit.name,
        type=unit.type,
        population=unit.population,
        area_ha=unit.area_ha,
        kreis=KreisRef(ags=unit.kreis.key, name=unit.kreis.name) if unit.kreis else None,
        verband=VerbandRef(
            key=verband.key,
            ars=verband.ars,
            name=verband.name,
            type=verband.type,
            erfuellende_gemeinde=verband.erfuellende_gemeinde.ags
            if verband.erfuellende_gemeinde
            else None,
        )
        if verband
        else None,
        plz=queries.plz_of(unit),
        gebietsstand=unit.gebietsstand,
        valid_until=unit.valid_until,
        successor=unit.current_successor().ags if unit.successor_id else None,
    )


@router.get(
    "/gebiete/{ags}",
    response={200: GemeindeOut, 404: Problem, 422: Problem},
    summary="Eine Gemeinde nach Amtlichem Gemeindeschlüssel",
)
def get_gemeinde(request: HttpRequest, ags: str) -> GemeindeOut:
    return gemeinde_out(queries.get_gemeinde(ags))


@router.get(
    "/gebiete",
    response={200: GemeindeList, 422: Problem},
    summary="Gemeinden zu einer Postleitzahl",
)
def list_gemeinden(request: HttpRequest, plz: str, ort: str | None = None) -> GemeindeList:
    units = queries.gemeinden_for_plz(plz, ort=ort)
    return GemeindeList(items=[gemeinde_out(u) for u in units], count=len(units))
