"""Responsibility resolution: for a service at a place, which authority, and why.

Order (see docs/architecture.md, section "Finder"):
1. an explicit Zuständigkeit, most specific area first (Gemeinde > Verband > Kreis > Land);
1a. for a service of district offices (Finanzamt, Grundbuchamt …): the office whose
   district contains the place, else a plain answer naming the kind of office; never
   the central authority that runs the offices;
2. else the structural rule of Thüringen's municipal law (ThürKO): level `gemeinde` → the
   Gemeinde, the Verwaltungsgemeinschaft it belongs to, or for the übertragener
   Wirkungskreis the erfüllende Gemeinde; level `kreis` → the Landkreis or the kreisfreie
   Stadt; `land`/`bund` need a designated authority (a Zuständigkeit for the Land);
3. a place that means several Gemeinden with different answers yields candidates, never a
   guess.

Reads go through the per-process snapshot of `verbund.finder.cache`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from verbund.authorities.types import Authority
from verbund.catalogue.types import Level, Service, Wirkungskreis
from verbund.core.errors import InvalidInput, NotFound
from verbund.finder import cache
from verbund.gebiete.types import Gebiet, GebietType
from verbund.gebiete.types import Level as GebietLevel

AGS_PATTERN = re.compile(r"^\d{8}$")
ARS_PATTERN = re.compile(r"^\d{12}$")
PLZ_PATTERN = re.compile(r"^\d{5}$")


class Basis(models.TextChoices):
    """Machine-readable reason of an answer."""

    ZUSTAENDIGKEIT = "zustaendigkeit", "Zuständigkeit erfasst"
    GEMEINDE_ITSELF = "gemeinde_itself", "Die Gemeinde selbst"
    VG_PERFORMS_MEMBER_TASKS = "vg_performs_member_tasks", "Verwaltungsgemeinschaft"
    ERFUELLENDE_GEMEINDE = "erfuellende_gemeinde", "Erfüllende Gemeinde"
    OWN_AFFAIRS_STAY_WITH_GEMEINDE = "own_affairs_stay_with_gemeinde", "Eigener Wirkungskreis"
    LANDKREIS = "landkreis", "Landkreis"
    KREISFREIE_STADT = "kreisfreie_stadt", "Kreisfreie Stadt"
    DESIGNATED_AUTHORITY = "designated_authority", "Bestimmte Behörde"
    AMBIGUOUS_PLACE = "ambiguous_place", "Ort nicht eindeutig"
    NO_AUTHORITY = "no_authority", "Keine Behörde erfasst"
    DISTRICT_OFFICE = "district_office", "Amtsbezirk"
    DISTRICT_UNKNOWN = "district_unknown", "Amtsbezirk nicht erfasst"


@dataclass(frozen=True)
class Place:
    """Where the citizen lives or the matter is located: AGS, ARS, PLZ (+ place name) or
    only a place name."""

    ags: str | None = None
    ars: str | None = None
    plz: str | None = None
    ort: str | None = None

    def __post_init__(self) -> None:
        if not (self.ags or self.ars or self.plz or (self.ort and self.ort.strip())):
            raise InvalidInput(
                _("Bitte einen Ort angeben (Gemeindeschlüssel, Postleitzahl oder Ortsname)."),
                code="place_missing",
            )

    def validate(self) -> None:
        """Refuse malformed keys (422) before looking anything up."""
        if self.ags and not AGS_PATTERN.match(self.ags):
            raise InvalidInput(
                _("„%(v)s“ ist kein Amtlicher Gemeindeschlüssel (8 Ziffern).") % {"v": self.ags},
                code="invalid_ags",
            )
        if self.ars and not ARS_PATTERN.match(self.ars):
            raise InvalidInput(
                _("„%(v)s“ ist kein Amtlicher Regionalschlüssel (12 Ziffern).") % {"v": self.ars},
                code="invalid_ars",
            )
        if self.plz and not PLZ_PATTERN.match(self.plz):
            raise InvalidInput(
                _("„%(v)s“ ist keine Postleitzahl (5 Ziffern).") % {"v": self.plz},
                code="invalid_plz",
            )
        if self.ort and len(self.ort) > 100:
            raise InvalidInput(_("Der Ortsname ist zu lang."), code="invalid_ort")


@dataclass
class Answer:
    service: Service
    authority: Authority | None
    basis: str
    explanation: str
    gemeinde: Gebiet | None = None
    candidates: list[Gebiet] = field(default_factory=list)
    note: str = ""
    office_kind: str = ""  # "Finanzamt" when a district office provides the service

    @property
    def is_ambiguous(self) -> bool:
        return self.authority is None and bool(self.candidates)


def _first_current(units: list[Gebiet] | None) -> Gebiet | None:
    return units[0] if units else None


def gemeinden_at(place: Place) -> list[Gebiet]:
    """The current Gemeinden a place may mean (one for AGS and ARS; one or more for a PLZ
    or a place name)."""
    place.validate()
    snap = cache.snapshot()
    if place.ags:
        unit = _first_current(snap.by_key.get(place.ags))
        if unit is None:
            raise NotFound(
                _("Es gibt keine Gemeinde mit dem Schlüssel %(ags)s.") % {"ags": place.ags},
                code="unknown_ags",
            )
        return [snap.current(unit)]
    if place.ars:
        unit = _first_current(snap.by_ars.get(place.ars))
        if unit is None:
            raise NotFound(
                _("Es gibt keine Gemeinde mit dem Regionalschlüssel %(ars)s.") % {"ars": place.ars},
                code="unknown_ars",
            )
        return [snap.current(unit)]
    wanted = (place.ort or "").strip().casefold()
    if not place.plz:
        units = snap.by_name.get(wanted, [])
        if not units:
            raise NotFound(
                _("Einen Ort „%(ort)s“ kennen wir in Thüringen nicht.") % {"ort": place.ort},
                code="unknown_place",
            )
        return sorted(units, key=lambda g: g.name)
    pairs = snap.plz.get(place.plz, [])
    units = []
    for gemeinde_id, _ort in pairs:
        unit = snap.gemeinden.get(gemeinde_id)
        if unit is not None and unit.valid_until is None and unit not in units:
            units.append(unit)
    if not units:
        raise NotFound(
            _("Zur Postleitzahl %(plz)s ist keine Gemeinde bekannt.") % {"plz": place.plz},
            code="unknown_plz",
        )
    units.sort(key=lambda g: g.name)
    if wanted:
        narrowed = [
            u
            for u in units
            if wanted in {u.display_name.casefold(), u.name.casefold()}
            or any(snap.gemeinden.get(g) is u and o.casefold() == wanted for g, o in pairs)
        ]
        if narrowed:
            return narrowed
    return units


def areas_of(gemeinde: Gebiet) -> list[Gebiet]:
    """The areas containing the Gemeinde, most specific first."""
    areas = [gemeinde]
    for parent in (gemeinde.verband, gemeinde.kreis, gemeinde.land):
        if parent is not None:
            areas.append(parent)
    return areas


def explicit(service: Service, gemeinde: Gebiet, *, below_land: bool = False) -> Answer | None:
    """Rule 1: a Zuständigkeit recorded for the Gemeinde or an area containing it
    (`below_land`: not one for the whole Land)."""
    by_area = cache.snapshot().zustaendigkeiten.get(service.pk)
    if not by_area:
        return None
    today = timezone.localdate()
    for area in areas_of(gemeinde):
        if below_land and area.level == GebietLevel.LAND:
            continue
        for entry in by_area.get(area.pk, ()):
            if not entry.is_valid_on(today):
                continue
            authority = entry.authority
            if area.level == GebietLevel.LAND:
                basis = Basis.DESIGNATED_AUTHORITY
                text = _("%(authority)s ist für diese Leistung in ganz %(land)s zuständig.") % {
                    "authority": authority.name,
                    "land": area.display_name,
                }
            else:
                basis = Basis.ZUSTAENDIGKEIT
                text = _("Für %(area)s ist %(authority)s als zuständige Stelle erfasst.") % {
                    "area": area.display_name,
                    "authority": authority.name,
                }
            if entry.note:
                text = f"{text} {entry.note}"
            return Answer(
                service=service,
                authority=authority,
                basis=basis,
                explanation=text,
                gemeinde=gemeinde,
                note=entry.note,
            )
    return None


def district_office(service: Service, gemeinde: Gebiet, kind: Any) -> Answer:
    """Rule 1a: the office of `kind` whose district (Gemeinde > Verband > Kreis, valid today)
    contains the Gemeinde; else a Zuständigkeit recorded below the Land; else the plain
    answer that the kind of office at the citizen's address is responsible."""
    by_area = cache.snapshot().districts.get(kind.pk, {})
    today = timezone.localdate()
    for area in areas_of(gemeinde):
        if area.level == GebietLevel.LAND:
            continue
        entries = [d for d in by_area.get(area.pk, ()) if d.is_valid_on(today)]
        if not entries:
            continue
        entry = min(entries, key=lambda d: d.office.name)
        text = _("%(area)s gehört zum Bezirk von %(office)s.") % {
            "area": area.display_name,
            "office": entry.office.name,
        }
        if entry.note:
            text = f"{text} {entry.note}"
        return Answer(
            service=service,
            authority=entry.office,
            basis=Basis.DISTRICT_OFFICE,
            explanation=text,
            gemeinde=gemeinde,
            note=entry.note,
            office_kind=kind.name,
        )
    found = explicit(service, gemeinde, below_land=True)
    if found is not None:
        found.office_kind = kind.name
        return found
    text = _(
        "Welches %(kind)s für %(place)s zuständig ist, hängt von Ihrer Anschrift ab; "
        "der Bezirk ist hier noch nicht erfasst."
    ) % {"kind": kind.name, "place": gemeinde.display_name}
    return Answer(
        service=service,
        authority=None,
        basis=Basis.DISTRICT_UNKNOWN,
        explanation=f"{kind.plain_answer} {text}".strip(),
        gemeinde=gemeinde,
        office_kind=kind.name,
    )


def resolve_for_gemeinde(service: Service, gemeinde: Gebiet) -> Answer:
    """Rules 1, 1a and 2 for one Gemeinde."""
    kind = cache.snapshot().office_kinds.get(service.pk)
    if kind is not None:
        return district_office(service, gemeinde, kind)
    found = explicit(service, gemeinde)
    if found is not None:
        return found
    return structural(service, gemeinde)


def structural(service: Service, gemeinde: Gebiet) -> Answer:
    """Rule 2: the structure of municipal law."""
    snap = cache.snapshot()
    level = service.level
    name = gemeinde.display_name
    if level == Level.GEMEINDE:
        verband = gemeinde.verband
        if verband is not None and verband.type == GebietType.ERFUELLENDE_GEMEINDE:
            erfuellende = verband.erfuellende_gemeinde
            if erfuellende is not None and erfuellende.pk != gemeinde.pk:
                if service.wirkungskreis == Wirkungskreis.UEBERTRAGEN:
                    return _answer(
                        service,
                        gemeinde,
                        snap.administration_of(verband),
                        Basis.ERFUELLENDE_GEMEINDE,
                        _(
                            "%(erf)s ist erfüllende Gemeinde für %(name)s und nimmt die "
                            "übertragenen Aufgaben wahr (§ 51 ThürKO)."
                        )
                        % {"erf": erfuellende.display_name, "name": name},
                    )
                return _answer(
                    service,
                    gemeinde,
                    snap.administration_of(gemeinde),
                    Basis.OWN_AFFAIRS_STAY_WITH_GEMEINDE,
                    _(
                        "Die Leistung gehört zum eigenen Wirkungskreis; dafür bleibt "
                        "%(name)s selbst zuständig, auch wenn %(erf)s als erfüllende "
                        "Gemeinde die übertragenen Aufgaben wahrnimmt."
                    )
                    % {"name": name, "erf": erfuellende.display_name},
                )
        elif verband is not None:
            return _answer(
                service,
                gemeinde,
                snap.administration_of(verband),
                Basis.VG_PERFORMS_MEMBER_TASKS,
                _(
                    "%(name)s gehört zur Verwaltungsgemeinschaft %(vg)s, die die "
                    "Verwaltungsgeschäfte ihrer Mitgliedsgemeinden führt (§ 47 ThürKO)."
                )
                % {"name": name, "vg": verband.name},
            )
        return _answer(
            service,
            gemeinde,
            snap.administration_of(gemeinde),
            Basis.GEMEINDE_ITSELF,
            _("%(name)s erledigt diese Aufgabe mit der eigenen Verwaltung.") % {"name": name},
        )
    if level == Level.KREIS and gemeinde.kreis is not None:
        kreis = gemeinde.kreis
        if kreis.is_kreisfrei:
            return _answer(
                service,
                gemeinde,
                snap.administration_of(kreis),
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
            snap.administration_of(kreis),
            Basis.LANDKREIS,
            _("%(gemeinde)s liegt im Landkreis %(kreis)s; zuständig ist das Landratsamt.")
            % {"gemeinde": name, "kreis": kreis.display_name},
        )
    return _answer(service, gemeinde, None, Basis.NO_AUTHORITY, "")


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
    if place.plz:
        text = _(
            "Die Postleitzahl %(plz)s gehört zu mehreren Gemeinden mit unterschiedlicher "
            "Zuständigkeit. Bitte wählen Sie Ihren Ort."
        ) % {"plz": place.plz}
    else:
        text = _(
            "Es gibt mehrere Orte dieses Namens mit unterschiedlicher Zuständigkeit. "
            "Bitte wählen Sie Ihren Ort."
        )
    return Answer(
        service=service,
        authority=None,
        basis=Basis.AMBIGUOUS_PLACE,
        explanation=text,
        candidates=gemeinden,
    )
