import pytest

from verbund.authorities.actions import add_leitweg_id
from verbund.authorities.models import Authority, AuthorityKind, LeitwegIdentifier
from verbund.authorities.rules import make_leitweg_id, parse_leitweg_id
from verbund.core.errors import Conflict
from verbund.core.models import AuditEntry
from verbund.gebiete.models import Gebiet, GebietType, Level

pytestmark = pytest.mark.django_db


def test_demo_has_one_administration_per_unit():
    current = Gebiet.objects.filter(key__startswith="16", valid_until__isnull=True)
    landkreise = current.filter(level=Level.KREIS, type=GebietType.LANDKREIS)
    vgs = current.filter(type=GebietType.VERWALTUNGSGEMEINSCHAFT)
    assert Authority.objects.filter(kind=AuthorityKind.LANDRATSAMT).count() == landkreise.count()
    assert Authority.objects.filter(kind=AuthorityKind.VG_VERWALTUNG).count() == vgs.count()
    for stadt in ("16051000", "16052000", "16053000", "16054000", "16055000"):
        assert Authority.objects.filter(
            gebiet__key=stadt, gebiet__level=Level.GEMEINDE, kind=AuthorityKind.STADTVERWALTUNG
        ).exists()
    for erfuellende in current.filter(type=GebietType.ERFUELLENDE_GEMEINDE):
        assert Authority.objects.filter(gebiet=erfuellende.erfuellende_gemeinde).exists()
    verbandsfrei = current.filter(level=Level.GEMEINDE, verband__isnull=True)
    assert all(Authority.objects.filter(gebiet=g).exists() for g in verbandsfrei)
    assert Authority.objects.filter(slug="tlvwa", gebiet__level=Level.LAND).exists()


def test_demo_leitweg_ids_are_valid_and_carry_the_area_key():
    for lw in LeitwegIdentifier.objects.select_related("authority__gebiet"):
        parsed = parse_leitweg_id(lw.value)
        gebiet = lw.authority.gebiet
        assert parsed.grob == (gebiet.ags or gebiet.key)


def test_leitweg_id_cannot_route_to_two_authorities():
    first = Authority.objects.filter(leitweg_ids__isnull=False).distinct().first()
    second = Authority.objects.exclude(pk=first.pk).first()
    value = first.leitweg_ids.first().value
    with pytest.raises(Conflict):
        add_leitweg_id(authority=second, value=value, actor="test")
    again = add_leitweg_id(authority=first, value=value.lower(), actor="test")
    assert again.authority == first


def test_adding_a_leitweg_id_is_audited():
    authority = Authority.objects.get(slug="tlvwa")
    lw = add_leitweg_id(
        authority=authority, value=str(make_leitweg_id("16", "TLVWA2")), actor="test"
    )
    entry = AuditEntry.objects.get(action="authority.leitweg_id_added", object_id=str(lw.pk))
    assert entry.after["value"] == lw.value


def test_authorities_api_for_a_vg_member(client):
    body = client.get("/api/v1/authorities", {"ags": "16061001"}).json()
    names = [item["name"] for item in body["items"]]
    assert names[0] == "Verwaltungsgemeinschaft Hanstein-Rusteberg"
    assert "Landratsamt Eichsfeld" in names
    assert "Thüringer Landesverwaltungsamt" in names
    vg = body["items"][0]
    assert vg["gebiet"]["ars"] == "160615008000"
    assert vg["leitweg_ids"] and vg["demo_data"] is True


def test_authorities_api_for_kreisfreie_stadt(client):
    body = client.get("/api/v1/authorities", {"ags": "16051000"}).json()
    assert body["items"][0]["name"] == "Stadtverwaltung Erfurt"
    assert body["items"][0]["gebiet"]["ars"] == "160510000000"


def test_authorities_api_bad_input(client):
    assert client.get("/api/v1/authorities", {"ags": "x"}).status_code == 422
    assert client.get("/api/v1/authorities", {"ags": "16099999"}).status_code == 404
    assert client.get("/api/v1/authorities").status_code == 422
    assert client.get("/api/v1/authorities/999999").status_code == 404


def test_authority_page(client):
    html = client.get("/behoerden/tlvwa/").content.decode()
    assert "Thüringer Landesverwaltungsamt" in html and "Demodaten" in html


def test_demo_authorities_do_not_depend_on_the_active_language():
    import io

    from django.core.management import call_command
    from django.utils import translation

    before = set(Authority.objects.values_list("slug", "name"))
    with translation.override("en"):
        call_command("load-demo", stdout=io.StringIO())
    assert set(Authority.objects.values_list("slug", "name")) == before
