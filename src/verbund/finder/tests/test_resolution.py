"""The responsibility rules with real Thüringen Gemeinden (demo data of the session)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.conf import settings

from verbund.authorities.models import Authority
from verbund.catalogue.models import Service
from verbund.core.errors import InvalidInput, NotFound
from verbund.finder import actions, cache
from verbund.finder.resolution import Basis, Place, resolve
from verbund.gebiete.models import Gebiet, Level

pytestmark = pytest.mark.django_db

GEISENHAIN = "16074022"  # member of the VG Hügelland/Täler
RUTTERSDORF = "16074081"  # served by the erfüllende Gemeinde Stadtroda
STADTRODA = "16074094"  # the erfüllende Gemeinde itself
ILMENAU = "16070029"  # verbandsfreie Stadt in the Ilm-Kreis
ERFURT = "16051000"  # kreisfreie Stadt


def answer(slug: str, **place: str):  # type: ignore[no-untyped-def]
    return resolve(service=Service.objects.get(slug=slug), place=Place(**place))


def test_every_case_of_the_dev_set(shared_data):
    path = shared_data.parent / "eval" / "finder-dev.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 9
    wrong = []
    for row in rows:
        result = answer(row["service"], ags=row["ags"])
        got = result.authority.gebiet.ars if result.authority else None
        if got != row["expected_ars"]:
            wrong.append((row["service"], row["ags"], row["expected_ars"], got, result.basis))
    assert wrong == []


def test_vg_member_gets_the_vg_for_both_wirkungskreise():
    for slug in ("wohnsitz-anmelden", "hundesteuer-anmelden"):
        result = answer(slug, ags=GEISENHAIN)
        assert result.basis == Basis.VG_PERFORMS_MEMBER_TASKS
        assert result.authority.gebiet.ars == "160745007000"
        assert result.authority.gebiet.level == Level.VERBAND
        assert "Hügelland/Täler" in result.explanation


def test_erfuellende_gemeinde_takes_delegated_tasks_but_not_own_affairs():
    delegated = answer("wohnsitz-anmelden", ags=RUTTERSDORF)
    assert delegated.basis == Basis.ERFUELLENDE_GEMEINDE
    assert delegated.authority.gebiet.ags == STADTRODA
    assert "erfüllende Gemeinde" in delegated.explanation
    own = answer("hundesteuer-anmelden", ags=RUTTERSDORF)
    assert own.basis == Basis.OWN_AFFAIRS_STAY_WITH_GEMEINDE
    assert own.authority.gebiet.ags == RUTTERSDORF
    assert "eigenen Wirkungskreis" in own.explanation


def test_the_erfuellende_gemeinde_itself_handles_both():
    for slug in ("wohnsitz-anmelden", "hundesteuer-anmelden"):
        result = answer(slug, ags=STADTRODA)
        assert result.authority.gebiet.ags == STADTRODA
        assert result.basis == Basis.GEMEINDE_ITSELF


def test_verbandsfreie_gemeinde_and_its_landkreis():
    own = answer("gewerbe-anmelden", ags=ILMENAU)
    assert own.basis == Basis.GEMEINDE_ITSELF and own.authority.gebiet.ars == "160700029029"
    kreis = answer("kfz-zulassung", ags=ILMENAU)
    assert kreis.basis == Basis.LANDKREIS and kreis.authority.gebiet.ars == "160700000000"
    assert kreis.authority.name == "Landratsamt Ilm-Kreis"


def test_kreisfreie_stadt_is_its_own_kreis_authority():
    result = answer("kfz-zulassung", ags=ERFURT)
    assert result.basis == Basis.KREISFREIE_STADT
    assert result.authority.name == "Stadtverwaltung Erfurt"
    assert result.authority.gebiet.ars == "160510000000"


def test_land_and_bund_services_go_to_the_designated_authority():
    land = answer("schwerbehindertenausweis", ags=RUTTERSDORF)
    assert land.basis == Basis.DESIGNATED_AUTHORITY
    assert land.authority.slug == "tlvwa" and land.authority.gebiet.ars == "160000000000"
    assert answer("egov-foerderung", ags=ERFURT).authority.slug == "tmdi"
    assert answer("liegenschaftskataster", ags=ILMENAU).authority.slug == "tlbg"
    bund = answer("kindergeld", ags=GEISENHAIN)
    assert bund.basis == Basis.DESIGNATED_AUTHORITY and "Familienkasse" in bund.authority.name


def test_every_land_and_bund_service_of_the_eval_list_has_an_authority(shared_data):
    with (shared_data.parent / "eval" / "services.csv").open(encoding="utf-8") as fh:
        slugs = [r["slug"] for r in csv.DictReader(fh) if r["level"] in {"land", "bund"}]
    assert slugs
    missing = [s for s in slugs if answer(s, ags=ERFURT).authority is None]
    assert missing == []


def test_ambiguous_plz_gives_candidates_never_a_guess():
    result = answer("wohnsitz-anmelden", plz="07646")
    assert result.is_ambiguous and result.basis == Basis.AMBIGUOUS_PLACE
    assert result.authority is None
    names = {c.display_name for c in result.candidates}
    assert {"Stadtroda", "Geisenhain", "Ruttersdorf-Lotschen"} <= names
    chosen = answer("wohnsitz-anmelden", plz="07646", ort="Stadtroda")
    assert chosen.authority.gebiet.ags == STADTRODA


def test_plz_with_one_answer_for_all_its_gemeinden_is_not_ambiguous():
    # every Gemeinde of 07646 lies in the Saale-Holzland-Kreis
    result = answer("kfz-zulassung", plz="07646")
    assert not result.is_ambiguous
    assert result.authority.gebiet.ars == "160740000000"


def test_place_by_ars_and_by_name():
    assert answer("kfz-zulassung", ars="160510000000").basis == Basis.KREISFREIE_STADT
    assert answer("gewerbe-anmelden", ort="Ilmenau").authority.gebiet.ags == ILMENAU


@pytest.mark.parametrize(
    ("place", "error", "code"),
    [
        ({"ags": "1607"}, InvalidInput, "invalid_ags"),
        ({"ars": "16"}, InvalidInput, "invalid_ars"),
        ({"plz": "0764"}, InvalidInput, "invalid_plz"),
        ({"ags": "16999999"}, NotFound, "unknown_ags"),
        ({"plz": "99999"}, NotFound, "unknown_plz"),
        ({"ort": "Atlantis"}, NotFound, "unknown_place"),
    ],
)
def test_malformed_and_unknown_places(place, error, code):
    with pytest.raises(error) as exc:
        answer("wohnsitz-anmelden", **place)
    assert exc.value.code == code


def test_place_is_required():
    with pytest.raises(InvalidInput):
        Place()


def test_explicit_zustaendigkeit_most_specific_area_first():
    service = Service.objects.get(slug="baugenehmigung")
    gemeinde = Gebiet.objects.get(level=Level.GEMEINDE, key=STADTRODA)
    kreis_authority = Authority.objects.get(slug="tlvwa")
    town = Authority.objects.get(gebiet=gemeinde)
    assert answer("baugenehmigung", ags=STADTRODA).basis == Basis.LANDKREIS
    actions.upsert_zustaendigkeit(
        service=service, authority=kreis_authority, gebiet=gemeinde.kreis, actor="test"
    )
    result = answer("baugenehmigung", ags=STADTRODA)
    assert result.basis == Basis.ZUSTAENDIGKEIT and result.authority == kreis_authority
    actions.upsert_zustaendigkeit(
        service=service,
        authority=town,
        gebiet=gemeinde,
        note="Stadtroda ist große kreisangehörige Stadt.",
        actor="test",
    )
    result = answer("baugenehmigung", ags=STADTRODA)
    assert result.authority == town and "große kreisangehörige Stadt" in result.explanation
    # other Gemeinden of the Kreis keep the Kreis-wide entry
    assert answer("baugenehmigung", ags=RUTTERSDORF).authority == kreis_authority


def test_expired_zustaendigkeit_is_ignored():
    service = Service.objects.get(slug="kfz-zulassung")
    gemeinde = Gebiet.objects.get(level=Level.GEMEINDE, key=ILMENAU)
    actions.upsert_zustaendigkeit(
        service=service,
        authority=Authority.objects.get(gebiet=gemeinde),
        gebiet=gemeinde,
        valid_until=dt.date(2020, 12, 31),
        actor="test",
    )
    assert answer("kfz-zulassung", ags=ILMENAU).basis == Basis.LANDKREIS


def test_cache_is_reused_and_follows_changes(settings, django_assert_max_num_queries):
    settings.VERBUND_FINDER_CACHE_SECONDS = 60
    answer("wohnsitz-anmelden", ags=GEISENHAIN)
    service = Service.objects.get(slug="wohnsitz-anmelden")
    with django_assert_max_num_queries(0):
        resolve(service=service, place=Place(ags=GEISENHAIN))
    before = cache.snapshot()
    vg = Authority.objects.get(gebiet__ars="160745007000")
    vg.name = "VG Hügelland/Täler (neu)"
    vg.save()
    assert cache.snapshot() is not before
    assert resolve(service=service, place=Place(ags=GEISENHAIN)).authority.name.endswith("(neu)")


def test_land_setting_matches_demo():
    assert Gebiet.objects.filter(level=Level.LAND, key=settings.VERBUND_LAND).exists()


def test_bulk_administrations_agree_with_the_authority_registry():
    from verbund.authorities.queries import administration_of

    snap = cache.snapshot()
    areas = Gebiet.objects.filter(valid_until__isnull=True).exclude(level="regierungsbezirk")
    areas = areas.select_related("erfuellende_gemeinde")
    differing = [a.key for a in areas if snap.administrations[a.pk] != administration_of(a)]
    assert differing == []
    assert len(snap.administrations) == areas.count() > 700
