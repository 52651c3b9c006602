"""Per-process snapshot of what resolution reads: the Gemeinden with their Verband, Kreis
and Land, the PLZ directory, the explicit Zuständigkeiten and (memoised) the general
administrations. Resolution is on the hot path of application submission; with the
snapshot it needs no query at all, or one small token query.

The snapshot also holds the services' keys and levels (slug → service) and memoised
derived values such as the API form of an authority.

The snapshot is keyed by a token: the newest Gebietsstand and the row counts of the
directory (an import of a new Gebietsstand changes them), a UUID that every save or
delete of a Gebiet, PLZ, authority, Zuständigkeit or district office replaces inside its
transaction (so a rolled-back change also invalidates what was read during it), and the
catalogue's search index version (new on every saved service). The token is read at most
every `VERBUND_FINDER_CACHE_SECONDS`; `invalidate()` drops the snapshot at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority
from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.types import Gebiet, GebietType, Level, Postleitzahl

_lock = threading.Lock()
_state: dict[str, Any] = {"snapshot": None, "checked_at": 0.0}


@dataclass
class Snapshot:
    token: tuple[Any, ...]
    gemeinden: dict[int, Gebiet]
    by_key: dict[str, list[Gebiet]]
    by_ars: dict[str, list[Gebiet]]
    by_name: dict[str, list[Gebiet]]
    plz: dict[str, list[tuple[int, str]]]
    zustaendigkeiten: dict[int, dict[int, list[Any]]]
    services: dict[str, Any] = field(default_factory=dict)
    administrations: dict[int, Authority | None] = field(default_factory=dict)
    # service id → its kind of district office; kind id → area id → districts
    office_kinds: dict[int, Any] = field(default_factory=dict)
    districts: dict[int, dict[int, list[Any]]] = field(default_factory=dict)
    memo: dict[Any, Any] = field(default_factory=dict)

    def remember(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A value derived from the snapshot (e.g. an authority's API form), computed once."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]

    def administration_of(self, gebiet: Gebiet) -> Authority | None:
        """`authorities.queries.administration_of`, read from the snapshot (filled in bulk
        by `build`; a test checks both agree for every area)."""
        if gebiet.pk not in self.administrations:
            self.administrations[gebiet.pk] = authority_queries.administration_of(gebiet)
        return self.administrations[gebiet.pk]

    def current(self, gemeinde: Gebiet) -> Gebiet:
        """Follow the successor chain of an ended Gemeinde to the one valid today."""
        unit, seen = gemeinde, {gemeinde.pk}
        while unit.successor_id is not None and unit.successor_id not in seen:
            seen.add(unit.successor_id)
            successor = self.gemeinden.get(unit.successor_id)
            if successor is None:
                break
            unit = successor
        return unit


def current_token() -> tuple[Any, ...]:
    """One small query: newest Gebietsstand, directory sizes and the write token."""
    from verbund.catalogue.queries import search_index_version_sql
    from verbund.finder.models import CacheState

    gebiet, plz, state = (m._meta.db_table for m in (Gebiet, Postleitzahl, CacheState))
    catalogue = search_index_version_sql()
    with connection.cursor() as cursor:
        # table names come from the models' meta, not from input
        sql = (
            f"SELECT (SELECT MAX(gebietsstand) FROM {gebiet}), (SELECT COUNT(*) FROM {gebiet}), "  # noqa: S608
            f"(SELECT COUNT(*) FROM {plz}), (SELECT token FROM {state} WHERE id = 1), "
            f"({catalogue})"
        )
        cursor.execute(sql)
        row = cursor.fetchone()
    return tuple(str(value) for value in row)


def build(token: tuple[Any, ...]) -> Snapshot:
    from verbund.catalogue import queries as catalogue_queries
    from verbund.finder.models import OfficeDistrict, OfficeKind, Zustaendigkeit

    gemeinden = {g.pk: g for g in gebiete_queries.gemeinden_with_history()}
    by_key: dict[str, list[Gebiet]] = defaultdict(list)
    by_ars: dict[str, list[Gebiet]] = defaultdict(list)
    by_name: dict[str, list[Gebiet]] = defaultdict(list)
    for g in sorted(gemeinden.values(), key=lambda g: (g.valid_until is not None, g.name)):
        by_key[g.key].append(g)
        by_ars[g.ars].append(g)
        if g.valid_until is None:
            by_name[g.name.casefold()].append(g)
            if g.display_name != g.name:
                by_name[g.display_name.casefold()].append(g)
    plz: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for code, gemeinde_id, ort in gebiete_queries.postleitzahl_rows():
        plz[code].append((gemeinde_id, ort))
        gemeinde = gemeinden.get(gemeinde_id)
        if ort and gemeinde is not None and gemeinde.valid_until is None:
            names = by_name[ort.casefold()]
            if gemeinde not in names:
                names.append(gemeinde)
    zustaendigkeiten: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for z in Zustaendigkeit.objects.select_related(
        "authority", "authority__gebiet", "gebiet"
    ).prefetch_related("authority__leitweg_ids"):
        zustaendigkeiten[z.service_id][z.gebiet_id].append(z)
    for areas in zustaendigkeiten.values():
        for entries in areas.values():
            entries.sort(key=lambda z: z.authority.name)
    office_kinds: dict[int, Any] = {}
    for kind in OfficeKind.objects.prefetch_related("services"):
        for service in kind.services.all():
            office_kinds[service.pk] = kind
    districts: dict[int, dict[int, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for d in OfficeDistrict.objects.select_related("office", "office__gebiet", "gebiet"):
        districts[d.kind_id][d.gebiet_id].append(d)
    services = {
        s.slug: s
        for s in catalogue_queries.all_services().only(
            "id", "slug", "leika_key", "name", "level", "wirkungskreis"
        )
    }
    return Snapshot(
        token=token,
        services=services,
        administrations=administrations(gemeinden),
        gemeinden=gemeinden,
        by_key=dict(by_key),
        by_ars=dict(by_ars),
        by_name=dict(by_name),
        plz=dict(plz),
        zustaendigkeiten={k: dict(v) for k, v in zustaendigkeiten.items()},
        office_kinds=office_kinds,
        districts={k: dict(v) for k, v in districts.items()},
    )


def administrations(gemeinden: dict[int, Gebiet]) -> dict[int, Authority | None]:
    """The general administration of every current area in two queries, by the rules of
    `authorities.queries.administration_of` (kreisfreie Stadt: the Stadtverwaltung of the
    Gemeinde; erfüllende Gemeinde: the administration of that Gemeinde)."""
    own: dict[int, Authority] = {}
    for authority in (
        authority_queries.authorities()
        .filter(kind__in=authority_queries.ADMINISTRATION_KINDS)
        .order_by("-pk")
    ):
        own[authority.gebiet_id] = authority  # the lowest pk wins, as in administration_of
    current_gemeinden = {g.key: g for g in gemeinden.values() if g.valid_until is None}
    result: dict[int, Authority | None] = {}
    areas = gebiete_queries.current_gebiete().exclude(level=Level.REGIERUNGSBEZIRK)
    for area in areas.select_related("erfuellende_gemeinde"):
        target: Gebiet | None = area
        if area.level == Level.KREIS and area.is_kreisfrei:
            target = current_gemeinden.get(f"{area.key}000", area)
        if area.level == Level.VERBAND and area.type == GebietType.ERFUELLENDE_GEMEINDE:
            target = area.erfuellende_gemeinde
        result[area.pk] = own.get(target.pk) if target is not None else None
    return result


def snapshot() -> Snapshot:
    now = time.monotonic()
    current: Snapshot | None = _state["snapshot"]
    if current is not None and now - _state["checked_at"] < settings.VERBUND_FINDER_CACHE_SECONDS:
        return current
    token = current_token()
    with _lock:
        current = _state["snapshot"]
        if current is None or current.token != token:
            current = build(token)
            _state["snapshot"] = current
        _state["checked_at"] = now
    return current


def invalidate() -> None:
    with _lock:
        _state["snapshot"] = None
        _state["checked_at"] = 0.0


def bump(**_: Any) -> None:
    """Signal receiver: a write the snapshot depends on. Runs inside the writer's
    transaction, so a rollback restores the old token too."""
    from verbund.finder.models import CacheState

    invalidate()
    updated = CacheState.objects.filter(pk=1).update(token=uuid.uuid4())
    if not updated:
        CacheState.objects.get_or_create(pk=1)
