"""The importers against the real files, and a simulated newer Gebietsstand."""

import datetime

import pytest

from verbund.core.errors import InvalidSourceFile
from verbund.core.models import AuditEntry
from verbund.gebiete.actions import import_gebiete, import_plz
from verbund.gebiete.gv100ad import parse_gv100ad
from verbund.gebiete.models import Gebiet, GebietChange, GebietType, Level, Postleitzahl
from verbund.gebiete.plz import parse_plz_csv

pytestmark = pytest.mark.django_db


def _thueringen_lines(shared_data):
    path = shared_data / "gebiete" / "GV100AD_301123.txt"
    with path.open(encoding="utf-8") as fh:
        return [line for line in fh if line[10:12] == "16"]


def test_demo_land_has_the_official_counts():
    current = Gebiet.objects.filter(key__startswith="16", valid_until__isnull=True)
    assert current.filter(level=Level.GEMEINDE).count() == 624
    assert current.filter(level=Level.KREIS).count() == 22
    assert current.filter(level=Level.KREIS, type=GebietType.KREISFREIE_STADT).count() == 5
    assert current.filter(type=GebietType.VERWALTUNGSGEMEINSCHAFT).count() == 43
    assert current.filter(type=GebietType.ERFUELLENDE_GEMEINDE).count() == 39


def test_erfuellende_gemeinde_is_linked_to_its_arrangement():
    verband = Gebiet.objects.get(level=Level.VERBAND, key="160745050")
    assert verband.erfuellende_gemeinde is not None
    assert verband.erfuellende_gemeinde.ars == "160745050094"  # Stadtroda
    assert all(
        v.erfuellende_gemeinde_id is not None
        for v in Gebiet.objects.filter(type=GebietType.ERFUELLENDE_GEMEINDE)
    )


def test_reimport_of_the_same_file_changes_nothing(shared_data):
    before = Gebiet.objects.count(), GebietChange.objects.count()
    report = import_gebiete(records=parse_gv100ad(_thueringen_lines(shared_data)), actor="test")
    assert (report.created, report.updated, report.ended) == (0, 0, 0)
    assert report.unchanged == 1 + 22 + 82 + 624
    assert (Gebiet.objects.count(), GebietChange.objects.count()) == before
    assert AuditEntry.objects.filter(action="gebiete.imported").exists()


def _newer_stand(lines):
    """A plausible next Gebietsstand: Arenshausen merges into Hohengandern (its area moves
    with it), Tastungen is renamed, Bornhagen moves from VG Hanstein-Rusteberg to VG
    Leinetal."""
    out = []
    area = {}
    for line in lines:
        if line.startswith("60") and line[10:18] == "16061001":
            area["arenshausen"] = int(line[128:139])
    for line in lines:
        line = line.rstrip("\n").replace("20231130", "20241231", 1)
        if line.startswith("60") and line[10:18] == "16061001":
            continue  # Arenshausen is gone
        if line.startswith("60") and line[10:18] == "16061048":  # Hohengandern grows
            grown = int(line[128:139]) + area["arenshausen"]
            line = line[:128] + f"{grown:011d}" + line[139:]
        if line.startswith("60") and line[10:18] == "16061094":  # Tastungen renamed
            line = line[:22] + "Tastungen am Ohmberg".ljust(50) + line[72:]
        if line.startswith("60") and line[10:18] == "16061014":  # Bornhagen moves VG
            line = line[:18] + "5009" + line[22:]
        out.append(line)
    return out


def test_newer_gebietsstand_ends_merges_renames_and_moves(shared_data, client):
    lines = _thueringen_lines(shared_data)
    bornhagen_before = Gebiet.objects.get(level=Level.GEMEINDE, key="16061014")
    assert bornhagen_before.verband.key == "160615008"
    # when
    report = import_gebiete(records=parse_gv100ad(_newer_stand(lines)), actor="test")
    # then: Arenshausen is kept, ended, and linked to Hohengandern
    arenshausen = Gebiet.objects.get(level=Level.GEMEINDE, key="16061001")
    assert arenshausen.valid_until == datetime.date(2024, 12, 31)
    assert arenshausen.successor.key == "16061048"
    assert report.ended == 1 and report.without_successor == []
    kinds = {
        (c.gebiet.key, c.kind)
        for c in GebietChange.objects.select_related("gebiet").filter(
            gebietsstand=datetime.date(2024, 12, 31)
        )
    }
    assert ("16061001", "merged") in kinds
    assert ("16061094", "renamed") in kinds
    assert ("16061014", "moved") in kinds
    assert Gebiet.objects.get(level=Level.GEMEINDE, key="16061094").name == "Tastungen am Ohmberg"
    assert Gebiet.objects.get(level=Level.GEMEINDE, key="16061014").verband.key == "160615009"
    # and references keep working: the API answers for the old key and names the successor
    body = client.get("/api/v1/gebiete/16061001").json()
    assert body["valid_until"] == "2024-12-31" and body["successor"] == "16061048"
    # PLZ rows of the ended Gemeinde move to its successor on the next PLZ import
    with (shared_data / "gebiete" / "zuordnung_plz_ort.csv").open(encoding="utf-8") as fh:
        plz_report = import_plz(rows=parse_plz_csv(fh), actor="test")
    assert plz_report.via_successor >= 1
    assert Postleitzahl.objects.filter(plz="37318", gemeinde__key="16061048").exists()
    assert not Postleitzahl.objects.filter(gemeinde__key="16061001").exists()


def test_older_gebietsstand_is_refused(shared_data):
    lines = [line.replace("20231130", "20221231", 1) for line in _thueringen_lines(shared_data)]
    with pytest.raises(InvalidSourceFile, match="neuere Stand"):
        import_gebiete(records=parse_gv100ad(lines), actor="test")


def test_malformed_file_imports_nothing(shared_data):
    lines = _thueringen_lines(shared_data)
    lines = [line.replace("20231130", "20241231", 1) for line in lines]
    index = next(i for i, line in enumerate(lines) if i >= 300 and line.startswith("60"))
    lines[index] = lines[index][:139] + "00000ABC345" + lines[index][150:]
    before = list(Gebiet.objects.order_by("pk").values_list("pk", "name", "gebietsstand"))
    with pytest.raises(InvalidSourceFile) as info:
        import_gebiete(records=parse_gv100ad(lines), actor="test")
    assert info.value.line == index + 1 and info.value.field == "Bevölkerung"
    after = list(Gebiet.objects.order_by("pk").values_list("pk", "name", "gebietsstand"))
    assert after == before


def test_another_land_imports_with_its_own_types(shared_data):
    # given: Bremen has two Stadtkreise and no Verbände; Thüringen stays untouched
    path = shared_data / "gebiete" / "GV100AD_301123.txt"
    with path.open(encoding="utf-8") as fh:
        report = import_gebiete(records=parse_gv100ad(fh, land="04"), actor="test")
    assert report.counts["gemeinde"] == 2
    bremen = Gebiet.objects.get(level=Level.GEMEINDE, key="04011000")
    assert bremen.kreis.type == GebietType.KREISFREIE_STADT
    assert Gebiet.objects.filter(key__startswith="16", valid_until__isnull=False).count() == 0


def test_plz_pairs_are_zero_padded_and_many_to_many():
    # 07646 has leading zero; Stadtroda's PLZ covers many Gemeinden
    gemeinden = set(
        Postleitzahl.objects.filter(plz="07646").values_list("gemeinde__key", flat=True)
    )
    assert {"16074081", "16074094"} <= gemeinden
    assert len(gemeinden) > 10
    erfurt_plz = Postleitzahl.objects.filter(gemeinde__key="16051000").values_list("plz")
    assert erfurt_plz.distinct().count() > 5


@pytest.mark.parametrize(
    ("content", "field", "line"),
    [
        ("osm_id,ort,plz\n1,Ort,12345\n", "Kopfzeile", 1),
        ("osm_id,ags,ort,plz\n1,16061001,Arenshausen,3731x\n", "plz", 2),
        ("osm_id,ags,ort,plz\n1,16061001,A,37318\n2,160610011,B,37318\n", "ags", 3),
    ],
)
def test_malformed_plz_file_is_rejected(content, field, line):
    before = Postleitzahl.objects.count()
    with pytest.raises(InvalidSourceFile) as info:
        import_plz(rows=parse_plz_csv(content.splitlines(keepends=True)), actor="test")
    assert (info.value.field, info.value.line) == (field, line)
    assert Postleitzahl.objects.count() == before


def test_shipped_fixture_matches_the_official_file(shared_data):
    # given: the fixture the demo uses when ../shared is absent
    from verbund.gebiete.fixture import fixture_path, read_fixture

    records, plz_rows = read_fixture(fixture_path("16"))
    with (shared_data / "gebiete" / "GV100AD_301123.txt").open(encoding="utf-8") as fh:
        official = list(parse_gv100ad(fh, land="16"))

    def essence(rs):
        return {(r.level, r.key, r.ars, r.name, r.type, r.population, r.seat_plz) for r in rs}

    assert essence(records) == essence(official)
    assert len({p.ags for p in plz_rows}) == 624


def test_demo_loads_from_the_fixture_without_shared_data(tmp_path, settings):
    from django.core.management import call_command

    settings.VERBUND_DATA_DIR = tmp_path  # empty: no official files
    out = __import__("io").StringIO()
    call_command("load-demo", stdout=out)
    assert "gebiete-16.json.gz" in out.getvalue()
    assert Gebiet.objects.filter(level=Level.GEMEINDE, key__startswith="16").count() == 624
