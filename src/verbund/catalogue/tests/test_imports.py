"""The importers against the real files, and bad input."""

import io

import pytest
from django.core.management import CommandError, call_command

from verbund.catalogue.actions import import_leika
from verbund.catalogue.demo import import_ozg_folder
from verbund.catalogue.leika import parse_leistungen
from verbund.catalogue.models import Lebenslage, OzgLeistung, Service, Themenfeld
from verbund.core.errors import InvalidSourceFile
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_demo_holds_the_whole_leika_with_newer_keys_preferred():
    keyed = Service.objects.exclude(leika_key="")
    # 4,915 distinct keys; a curated service takes over the row of its key
    assert keyed.count() == 4915
    # the 2019 vehicle-registration keys are kept but marked outdated
    assert Service.objects.get(leika_key="99036008007002").is_outdated
    assert not Service.objects.get(leika_key="99036020001000").is_outdated
    # one key, two names: the LeiKa name and the citizen-facing one
    ausweis = Service.objects.get(leika_key="99008001012001")
    assert ausweis.name == "Personalausweis Ausstellung erstmalig"
    assert ausweis.name_2 == "Personalausweis erstmalig beantragen"


def test_demo_holds_the_ozg_structure():
    assert Themenfeld.objects.count() == 14
    assert Lebenslage.objects.exclude(ozg_id=None).count() == 58
    assert OzgLeistung.objects.count() == 557
    melde = Service.objects.get(leika_key="99115005104001")
    assert melde.ozg_leistung.name == "Wohnsitzmeldungen"
    assert melde.ozg_leistung.lebenslage.name == "Wohnen & Umzug"
    assert melde.typisierung == "2/3"
    assert "Bundesmeldegesetz" in Service.objects.get(leika_key="99115005104000").legal_basis


def test_reimport_of_the_real_file_changes_nothing(shared_data):
    before = Service.objects.count()
    with (shared_data / "leika" / "leistungen.csv").open(encoding="utf-8", newline="") as fh:
        report = import_leika(rows=parse_leistungen(fh), actor="test")
    assert (report.rows, report.keys) == (5029, 4915)
    assert (report.created, report.updated) == (0, 0)
    assert report.curated == 85  # curated services with a LeiKa key keep their texts
    assert Service.objects.count() == before
    assert Service.objects.get(slug="wohnsitz-anmelden").name.startswith("Anmeldung einer Wohnung")
    assert AuditEntry.objects.filter(action="catalogue.leika_imported").exists()


def test_reimport_of_the_ozg_files_changes_nothing(shared_data):
    before = (Service.objects.count(), Lebenslage.objects.count(), OzgLeistung.objects.count())
    report = import_ozg_folder(shared_data / "leika", actor="test")
    assert (report.themenfelder, report.lebenslagen, report.ozg_leistungen) == (14, 58, 557)
    assert report.mapped == 4813 and report.unlinked == 16 and report.services_created == 0
    assert (
        Service.objects.count(),
        Lebenslage.objects.count(),
        OzgLeistung.objects.count(),
    ) == before
    # the editorial view of a life situation survives the import
    assert Lebenslage.objects.get(ozg_id=55).title == "Umzug"


def test_a_bad_line_imports_nothing(tmp_path):
    path = tmp_path / "leistungen.csv"
    path.write_text(
        "leika_key,name,source,confidence\n"
        "99999999001000,Neue Leistung,test,verified\n"
        "99999999002000,Zweite Leistung,test,verified\n"
        "9999999900300X,Kaputt,test,verified\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as caught:
        call_command("import-leika", str(path), stdout=io.StringIO())
    assert "Zeile 4, Feld leika_key" in str(caught.value)
    assert "nichts importiert" in str(caught.value)
    assert not Service.objects.filter(leika_key__startswith="99999999").exists()


def test_import_leika_command_reports_counts(tmp_path):
    path = tmp_path / "leistungen.csv"
    path.write_text(
        "leika_key,name,source,confidence\n99999999001000,Neue Leistung,test,verified\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command("import-leika", str(path), stdout=out)
    assert "1 neu" in out.getvalue()
    service = Service.objects.get(leika_key="99999999001000")
    assert service.slug == "99999999001000" and not service.is_curated
    # found by the search right away
    from verbund.catalogue.queries import search_services

    assert search_services("Neue Leistung")[0].service == service


def test_missing_and_non_utf8_files_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="Datei nicht gefunden"):
        call_command("import-leika", str(tmp_path / "fehlt.csv"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("leika_key,name\n99999999001000,Gebühr\n".encode("latin-1"))
    with pytest.raises(CommandError, match="keine UTF-8-Datei"):
        call_command("import-leika", str(latin))


def test_empty_file_is_refused():
    with pytest.raises(InvalidSourceFile, match="keine Leistungen"):
        import_leika(rows=parse_leistungen(io.StringIO("leika_key,name\n")), actor="test")


def _ozg_folder(tmp_path, *, lebenslagen, leistungen, zuordnung):
    (tmp_path / "ozg_lebenslagen.csv").write_text(
        "lebenslage_id,lebenslage,themenfeld\n" + lebenslagen, encoding="utf-8"
    )
    (tmp_path / "ozg_leistungen.csv").write_text(
        "ozg_id,ozg_leistung,lebenslage_id\n" + leistungen, encoding="utf-8"
    )
    (tmp_path / "leika_ozg_zuordnung.csv").write_text(
        "leika_key,name,ozg_id,typisierung,rechtsgrundlage\n" + zuordnung, encoding="utf-8"
    )
    return tmp_path


def test_ozg_unknown_lebenslage_names_line_and_field(tmp_path):
    folder = _ozg_folder(
        tmp_path,
        lebenslagen="900,Testlage,Testfeld\n",
        leistungen="90001,Testleistung,900\n90002,Andere,901\n",
        zuordnung="",
    )
    with pytest.raises(CommandError) as caught:
        call_command("import-ozg", str(folder), stdout=io.StringIO())
    assert "Zeile 3, Feld lebenslage_id" in str(caught.value)
    assert not Lebenslage.objects.filter(ozg_id=900).exists()


def test_ozg_unknown_ozg_leistung_in_mapping_is_refused(tmp_path):
    folder = _ozg_folder(
        tmp_path,
        lebenslagen="900,Testlage,Testfeld\n",
        leistungen="90001,Testleistung,900\n",
        zuordnung="99999999001000,Neu,90001,4,\n99999999002000,Neu 2,90009,4,\n",
    )
    with pytest.raises(CommandError, match="Zeile 3, Feld ozg_id"):
        call_command("import-ozg", str(folder), stdout=io.StringIO())
    assert not OzgLeistung.objects.filter(ozg_id=90001).exists()


def test_ozg_command_reports_missing_files(tmp_path):
    with pytest.raises(CommandError, match=r"es fehlt ozg_lebenslagen\.csv"):
        call_command("import-ozg", str(tmp_path))


def test_demo_loads_from_the_fixture_without_shared_data(tmp_path, settings):
    settings.VERBUND_DATA_DIR = tmp_path  # empty: no official files
    out = io.StringIO()
    call_command("load-demo", stdout=out)
    assert "leika-ozg.json.gz" in out.getvalue()
    assert Service.objects.exclude(leika_key="").count() == 4915
    assert OzgLeistung.objects.count() == 557
    assert Service.objects.filter(is_curated=True).count() == 91


def test_fixture_attributes_its_sources():
    import gzip
    import json

    from verbund.catalogue.fixture import FIXTURE

    with gzip.open(FIXTURE, "rt", encoding="utf-8") as fh:
        payload = json.load(fh)
    assert "OZG-Datenbank NRW" in payload["attribution"]
    assert len({row[0] for row in payload["leika"]}) == 4915


def test_fixture_export_round_trips(tmp_path):
    from verbund.catalogue.fixture import read_fixture

    out = io.StringIO()
    path = tmp_path / "leika.json.gz"
    call_command("export-leika-fixture", output=path, stdout=out)
    leika, lebenslagen, leistungen, zuordnung = read_fixture(path)
    assert len({row.key for row in leika}) == 4915
    assert (len(lebenslagen), len(leistungen)) == (58, 557)
    assert len(zuordnung) >= 4813


def test_rebuild_search_index_command():
    out = io.StringIO()
    call_command("rebuild-search-index", stdout=out)
    assert "Leistungen" in out.getvalue()
    from verbund.catalogue.queries import search_services

    assert search_services("Hundesteuer")[0].service.slug == "hundesteuer-anmelden"
