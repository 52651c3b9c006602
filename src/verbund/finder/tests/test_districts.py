"""District offices (Finanzamt, Grundbuchamt, Agentur für Arbeit): a place gets the office
whose district contains it, a place without a known district gets a plain answer, and the
central authority that runs the offices is never named (demo districts of the session)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from lxml import etree

from verbund.authorities.models import Authority
from verbund.catalogue.models import Service
from verbund.core.models import AuditEntry
from verbund.finder import actions, xzufi
from verbund.finder.models import OfficeDistrict, OfficeKind
from verbund.finder.resolution import Basis, Place, resolve
from verbund.gebiete.models import Gebiet, Level

pytestmark = pytest.mark.django_db

ARENSHAUSEN = "16061001"  # Landkreis Eichsfeld, VG Hanstein-Rusteberg
ERFURT = "16051000"  # kreisfreie Stadt
MEININGEN = "16066042"  # Landkreis Schmalkalden-Meiningen

CENTRAL = {"tlfd", "agentur-fuer-arbeit", "tmdi", "tlvwa"}


def answer(slug: str, ags: str):  # type: ignore[no-untyped-def]
    return resolve(service=Service.objects.get(slug=slug), place=Place(ags=ags))


def gemeinde(ags: str) -> Gebiet:
    return Gebiet.objects.get(level=Level.GEMEINDE, key=ags)


def land() -> Gebiet:
    return Gebiet.objects.get(level=Level.LAND, key=settings.VERBUND_LAND)


def assert_plain(result, kind: str, place: str) -> None:  # type: ignore[no-untyped-def]
    assert result.authority is None
    assert result.basis == Basis.DISTRICT_UNKNOWN
    assert result.office_kind == kind
    assert kind in result.explanation
    assert "Anschrift" in result.explanation
    assert place in result.explanation
    assert "Landesfinanzdirektion" not in result.explanation
    assert "Regionaldirektion" not in result.explanation


# --- Finanzamt ---------------------------------------------------------------------------


def test_finanzamt_of_the_kreis_answers_income_tax():
    # given: the demo's Finanzamt districts by Kreis
    # when / then
    for ags, office in [
        (ARENSHAUSEN, "fa-muehlhausen"),
        (ERFURT, "fa-erfurt"),
        (MEININGEN, "fa-suhl"),
    ]:
        result = answer("einkommensteuererklaerung", ags)
        assert result.authority.slug == office, ags
        assert result.basis == Basis.DISTRICT_OFFICE
        assert result.office_kind == "Finanzamt"


def test_a_gemeinde_district_beats_the_kreis_district():
    kind = OfficeKind.objects.get(slug="finanzamt")
    gotha = Authority.objects.get(slug="fa-gotha")
    actions.upsert_district(kind=kind, office=gotha, gebiet=gemeinde(ARENSHAUSEN), actor="test")
    assert answer("einkommensteuererklaerung", ARENSHAUSEN).authority == gotha
    assert answer("einkommensteuererklaerung", "16061045").authority.slug == "fa-muehlhausen"


def test_finanzamt_without_a_valid_district_gives_the_plain_answer_never_the_direction():
    # given: the Eichsfeld district ended yesterday, and someone recorded the
    # Landesfinanzdirektion for the whole Land
    kind = OfficeKind.objects.get(slug="finanzamt")
    district = OfficeDistrict.objects.get(kind=kind, gebiet__level=Level.KREIS, gebiet__key="16061")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    actions.end_district(district=district, valid_until=yesterday, actor="test")
    service = Service.objects.get(slug="einkommensteuererklaerung")
    actions.upsert_zustaendigkeit(
        service=service, authority=Authority.objects.get(slug="tlfd"), gebiet=land(), actor="test"
    )
    # when
    result = answer("einkommensteuererklaerung", ARENSHAUSEN)
    # then
    assert_plain(result, "Finanzamt", "Arenshausen")
    assert answer("einkommensteuererklaerung", ERFURT).authority.slug == "fa-erfurt"
    assert AuditEntry.objects.filter(action="finder.district_ended").exists()


def test_a_district_valid_from_tomorrow_does_not_answer_yet():
    kind = OfficeKind.objects.get(slug="finanzamt")
    district = OfficeDistrict.objects.get(kind=kind, gebiet__key="16066")
    actions.upsert_district(
        kind=kind,
        office=district.office,
        gebiet=district.gebiet,
        valid_from=timezone.localdate() + dt.timedelta(days=1),
        actor="test",
    )
    assert_plain(answer("einkommensteuererklaerung", MEININGEN), "Finanzamt", "Meiningen")


# --- Grundbuchamt ------------------------------------------------------------------------


def test_grundbuchamt_of_the_district_or_the_plain_answer():
    assert answer("grundbuchauszug", ARENSHAUSEN).authority.slug == "gba-heilbad-heiligenstadt"
    assert answer("grundbuchauszug", ERFURT).authority.slug == "gba-erfurt"
    # the demo records no Grundbuchamt for Schmalkalden-Meiningen
    result = answer("grundbuchauszug", MEININGEN)
    assert_plain(result, "Grundbuchamt", "Meiningen")
    assert "Grundstück" in result.explanation


def test_grundbuchamt_by_gemeinde():
    kind = OfficeKind.objects.get(slug="grundbuchamt")
    office = Authority.objects.get(slug="gba-jena")
    actions.upsert_district(kind=kind, office=office, gebiet=gemeinde(MEININGEN), actor="test")
    assert answer("grundbuchauszug", MEININGEN).authority == office
    assert answer("grundbuchauszug", "16066005").basis == Basis.DISTRICT_UNKNOWN


# --- Agentur für Arbeit ------------------------------------------------------------------


def test_agentur_fuer_arbeit_of_the_district_never_the_regionaldirektion():
    assert answer("arbeitslosengeld", ERFURT).authority.slug == "aa-erfurt"
    result = answer("arbeitslosengeld", ARENSHAUSEN)
    assert_plain(result, "Agentur für Arbeit", "Arenshausen")
    kind = OfficeKind.objects.get(slug="agentur-fuer-arbeit")
    assert kind.parent.slug == "agentur-fuer-arbeit"  # runs the offices, never answers
    actions.upsert_district(
        kind=kind,
        office=Authority.objects.get(slug="aa-erfurt"),
        gebiet=gemeinde(ARENSHAUSEN),
        actor="test",
    )
    assert answer("arbeitslosengeld", ARENSHAUSEN).authority.slug == "aa-erfurt"


def test_no_district_service_names_a_central_authority_anywhere():
    slugs = [s.slug for k in OfficeKind.objects.all() for s in k.services.all()]
    assert len(slugs) >= 3
    for gebiet in Gebiet.objects.filter(level=Level.GEMEINDE, valid_until__isnull=True)[:400]:
        for slug in slugs:
            result = answer(slug, gebiet.key)
            assert result.basis in {Basis.DISTRICT_OFFICE, Basis.DISTRICT_UNKNOWN}
            assert result.authority is None or result.authority.slug not in CENTRAL


def test_district_rules_refuse_land_and_reversed_dates():
    kind = OfficeKind.objects.get(slug="finanzamt")
    office = Authority.objects.get(slug="fa-erfurt")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.upsert_district(kind=kind, office=office, gebiet=land(), actor="test")
    with pytest.raises(ValidationError):
        actions.upsert_district(
            kind=kind,
            office=office,
            gebiet=gemeinde(ERFURT),
            valid_from=dt.date(2027, 1, 1),
            valid_until=dt.date(2026, 1, 1),
            actor="test",
        )


# --- page, API, XZuFi --------------------------------------------------------------------


def test_page_and_api_say_plainly_that_it_depends_on_the_address(client):
    page = client.get("/leistungen/grundbuchauszug/zustaendigkeit", {"ort": "Meiningen"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Zuständig: Grundbuchamt – abhängig von Ihrer Anschrift" in text
    assert "Grundbuchämter bei den Thüringer Amtsgerichten" not in text
    body = client.get("/api/v1/finder", {"service": "grundbuchauszug", "ags": MEININGEN}).json()
    assert body["authority"] is None
    assert body["basis"] == "district_unknown"
    assert body["office_kind"] == "Grundbuchamt"


def test_xzufi_exchanges_districts_as_zustaendigkeiten(tmp_path):
    path = tmp_path / "x.xml"
    call_command("export-xzufi", str(path), stderr=io.StringIO())
    data = path.read_bytes()
    ns = {"x": xzufi.NS}
    entries = etree.fromstring(data).findall("x:zustaendigkeit", ns)
    fa = [e for e in entries if e.findtext("x:organisationseinheitID", namespaces=ns) == "fa-suhl"]
    assert {e.findtext("x:leistungID", namespaces=ns) for e in fa} == {"einkommensteuererklaerung"}
    assert len(fa) == 4  # Suhl, Schmalkalden-Meiningen, Hildburghausen, Sonneberg
    # an editor's mistake is repaired by importing the export again
    kind = OfficeKind.objects.get(slug="finanzamt")
    OfficeDistrict.objects.filter(kind=kind, office__slug="fa-suhl").delete()
    assert answer("einkommensteuererklaerung", MEININGEN).basis == Basis.DISTRICT_UNKNOWN
    report = actions.import_xzufi(document=xzufi.parse(data), actor="test")
    assert report.districts_created == 4
    assert answer("einkommensteuererklaerung", MEININGEN).authority.slug == "fa-suhl"
    assert OfficeDistrict.objects.filter(kind=kind).count() == 22
