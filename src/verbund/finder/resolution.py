"""Responsibility resolution: for a service at a place, which authority, and why.

Order (see docs/architecture.md): an explicit Zuständigkeit record first (to come), else
the structural rule of Thüringen's municipal law, and a place that is ambiguous (a PLZ
covering several Gemeinden with different answers) yields candidates, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _

from verbund.authorities import queries as authority_queries
from verbund.authorities.models import Authority
from verbund.catalogue.models import Level, Service, Wirkungskreis
from verbund.core.errors import InvalidInput, NotFound
from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.models import Gebiet, GebietType


class Basis(models.TextChoices):
    """Machine-readable reason of an answer."""

    GEMEINDE_ITSELF = "gemeinde_itself", "Die Gemeinde selbst"
    VG_PERFORMS_MEMBER_TASKS = "vg_performs_member_tasks", "Verwaltungsgemeinschaft"
    ERFUELLENDE_GEMEINDE = "erfuellende_gemeinde", "Erfüllende Gemeinde"
    OWN_AFFAIRS_STAY_WITH_GEMEINDE = "own_affairs_stay_with_gemeinde", "Eigener Wirkungskreis"
    LANDKREIS = "landkreis", "Landkreis"
    KREISFREIE_STADT = "kreisfreie_stadt", "Kreisfreie Stadt"
    DESIGNATED_AUTHORITY = "designated_authority", "Bestimmte Behörde"
    AMBIGUOUS_PLACE = "ambiguous_place", "Ort nicht eindeutig"
    NO_AUTHORITY = "no_authority", "Keine Behörde erfasst"


@dataclass(frozen=True)
class Place:
    """Where the citizen lives or the matter is located: AGS, ARS or PLZ (+ place name)."""

    ags: str | None = None
    ars: str | None = None
    plz: str | None = None
    ort: str | None = None

    def __post_init__(self) -> None:
        if not (self.ags or self.ars or self.plz):
            raise InvalidInput(
                _("Bitte einen Ort angeben (Gemeindeschlüssel oder PLZ)."), code="place_missing"
            )


@dataclass
class Answer:
    service: Service
    authority: Authority | None
    basis: str
    explanation: str
    gemeinde: Gebiet | None = None
    candidates: list[Gebiet] = field(default_factory=list)

    @property
    def is_ambiguous(self) -> bool:
        return self.authority is None and bool(self.candidates)


def gemeinden_at(place: Place) -> list[Gebiet]:
    """The current Gemeinden a place may mean (one for AGS and ARS; one or more for a PLZ)."""
    if place.ags:
        return [gebiete_queries.get_gemeinde(place.ags).current_successor()]
    if place.ars:
        return [gebiete_queries.get_gemeinde_by_ars(place.ars).current_successor()]
    assert place.plz is not None
    units = gebiete_queries.gemeinden_for_plz(place.plz, ort=place.ort)
    if not units:
        raise NotFound(
            _("Zur Postleitzahl %(plz)s ist keine Gemeinde bekannt.") % {"plz": place.plz},
            code="unknown_plz",
        )
    return units


def resolve_for_gemeinde(service: Service, gemeinde: Gebiet) -> Answer:
    """The structural rule for one Gemeinde."""
    level = service.level
    name = gemeinde.display_name
    if level == Level.GEMEINDE:
        verband = gemeinde.verband
        if verband is not None and verband.type == GebietType.ERFUELLENDE_GEMEINDE:
            erfuellende = verband.erfuellende_gemeinde
            if (
                service.wirkungskreis == Wirkungskreis.UEBERTRAGEN
                and erfuellende is not None
                and erfuellende.pk != gemeinde.pk
            ):
                return _answer(
                    service,
                    gemeinde,
                    authority_queries.administration_of(verband),
                    Basis.ERFUELLENDE_GEMEINDE,
                    _(
                        "%(erf)s ist erfüllende Gemeinde für %(name)s und nimmt die "
                        "übertragenen Aufgaben wahr."
                    )
                    % {"erf": erfuellende.display_name, "name": name},
                )
            if erfuellende is not None and erfuellende.pk != gemeinde.pk:
                return _answer(
                    service,
                    gemeinde,
                    authority_queries.administration_of(gemeinde),
                    Basis.OWN_AFFAIRS_STAY_WITH_GEMEINDE,
                    _(
                        "Die Leistung gehört zum eigenen Wirkungskreis; dafür bleibt "
                        "%(name)s selbst zuständig."
                    )
                    % {"name": name},
                )
        elif verband is not None:
            return _answer(
                service,
                gemeinde,
                authority_queries.administration_of(verband),
                Basis.VG_PERFORMS_MEMBER_TASKS,
                _(
                    "%(name)s gehört zur Verwaltungsgemeinschaft %(vg)s, die die "
                    "Verwaltungsgeschäfte ihrer Mitgliedsgemeinden führt."
                )
                % {"name": name, "vg": verband.name},
            )
        return _answer(
            service,
            gemeinde,
            authority_queries.administration_of(gemeinde),
            Basis.GEMEINDE_ITSELF,
            _("%(name)s erledigt diese Aufgabe mit der eigenen Verwaltung.") % {"name": name},
        )
    if level == Level.KREIS and gemeinde.kreis is not None:
        kreis = gemeinde.kreis
        if kreis.is_kreisfrei:
            return _answer(
                service,
                gemeinde,
                authority_queries.administration_of(kreis),
                Basis.KREISFREIE_STADT,
                _(
                    "%(name)s ist kreisfreie Stadt und nimmt die Aufgaben des "
                    "Landkreises selbst wahr."
                )
                % {"name": kreis.display_name},
            )
        return _answer(
            service,
            gemeinde,
            authority_queries.administration_of(kreis),
            Basis.LANDKREIS,
            _("Zuständig ist der Landkreis %(kreis)s.") % {"kreis": kreis.display_name},
        )
    return _answer(
        service,
        gemeinde,
        None,
        Basis.NO_AUTHORITY,
        _("Für diese Leistung ist noch keine zuständige Behörde erfasst."),
    )


def _answer(
    service: Service, gemeinde: Gebiet, authority: Authority | None, basis: str, explanation: str
) -> Answer:
    if authority is None:
        return Answer(
            service=service,
            authority=None,
            basis=Basis.NO_AUTHORITY,
            explanation=_("Für diese Leistung ist noch keine zuständige Behörde erfasst."),
            gemeinde=gemeinde,
        )
    return Answer(
        service=service,
        authority=authority,
        basis=basis,
        explanation=explanation,
        gemeinde=gemeinde,
    )


def resolve(*, service: Service, place: Place) -> Answer:
    """The responsible authority for `service` at `place`, with the basis of the answer."""
    gemeinden = gemeinden_at(place)
    answers = [resolve_for_gemeinde(service, g) for g in gemeinden]
    distinct = {a.authority.pk if a.authority else None for a in answers}
    if len(distinct) == 1:
        return answers[0]
    return Answer(
        service=service,
        authority=None,
        basis=Basis.AMBIGUOUS_PLACE,
        explanation=_(
            "Die Postleitzahl gehört zu mehreren Gemeinden mit "
            "unterschiedlicher Zuständigkeit. Bitte wählen Sie Ihren Ort."
        ),
        candidates=gemeinden,
    )
