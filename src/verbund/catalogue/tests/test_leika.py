"""The readers of the LeiKa and OZG files (pure functions)."""

import io

import pytest

from verbund.catalogue.leika import (
    merge_leika_rows,
    parse_lebenslagen,
    parse_leistungen,
    parse_ozg_leistungen,
    parse_zuordnung,
)
from verbund.core.errors import InvalidSourceFile

HEADER = "leika_key,name,source,confidence\n"


def rows(text):
    return list(parse_leistungen(io.StringIO(HEADER + text)))


def test_the_2019_name_is_the_leistungsbezeichnung_and_the_newest_name_its_second():
    entries = merge_leika_rows(
        rows(
            "99008001012000,Personalausweis Ausstellung,x,verified\n"
            "99008001012000,Personalausweis beantragen,x,seen\n"
            "99008001012000,Personalausweis beantragen,x,seen\n"
        )
    )
    assert len(entries) == 1
    assert entries[0].name == "Personalausweis Ausstellung"
    assert entries[0].name_2 == "Personalausweis beantragen"


def test_a_key_known_only_from_newer_titles_keeps_both_names():
    (entry,) = merge_leika_rows(
        rows(
            "99107108017000,Bürgergeld beantragen,x,seen\n"
            "99107108017000,Grundsicherungsgeld beantragen,x,seen\n"
        )
    )
    assert entry.name == "Bürgergeld beantragen"
    assert entry.name_2 == "Grundsicherungsgeld beantragen"


def test_a_2019_key_is_outdated_only_where_a_newer_key_of_the_replacing_area_exists():
    entries = {
        e.key: e
        for e in merge_leika_rows(
            rows(
                "99036008007002,Kraftfahrzeug Zulassung erstmalig,x,verified\n"
                "99036020001000,Erstzulassung eines Fahrzeugs (Neuzulassung) beantragen,x,seen\n"
                "99023001012000,Führerschein Ausstellung,x,verified\n"
            )
        )
    }
    assert entries["99036008007002"].is_outdated
    assert not entries["99036020001000"].is_outdated
    # no newer driving-licence key in this file: the 2019 key stays current
    assert not entries["99023001012000"].is_outdated


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("9900800101200,Personalausweis,x,verified\n", "leika_key", "kein Leistungsschlüssel"),
        ("12345678901234,Personalausweis,x,verified\n", "leika_key", "kein Leistungsschlüssel"),
        ("99008001012000,,x,verified\n", "name", "Bezeichnung fehlt"),
        ("99008001012000," + "x" * 301 + ",x,verified\n", "name", "länger als 300"),
    ],
)
def test_a_bad_line_names_line_and_field(line, field, message):
    text = "99008001000000,Personalausweis,x,verified\n" + line
    with pytest.raises(InvalidSourceFile) as caught:
        rows(text)
    assert caught.value.line == 3
    assert caught.value.field == field
    assert message in caught.value.message
    assert caught.value.message.startswith(f"Zeile 3, Feld {field}: ")


def test_a_missing_column_is_reported_on_the_header_line():
    with pytest.raises(InvalidSourceFile) as caught:
        list(parse_leistungen(io.StringIO("key,name\n99008001000000,Personalausweis\n")))
    assert caught.value.line == 1
    assert "leika_key" in caught.value.message


def test_a_row_with_too_many_fields_is_refused():
    with pytest.raises(InvalidSourceFile) as caught:
        rows("99008001000000,Personalausweis,x,verified,extra\n")
    assert caught.value.line == 2


def test_ozg_files_parse_with_line_numbers():
    lebenslagen = list(
        parse_lebenslagen(
            io.StringIO(
                "lebenslage_id,lebenslage,themenfeld\r\n55,Wohnen & Umzug,Bauen & Wohnen\r\n"
            )
        )
    )
    assert lebenslagen[0].ozg_id == 55 and lebenslagen[0].line == 2
    leistungen = list(
        parse_ozg_leistungen(
            io.StringIO(
                'ozg_id,ozg_leistung,lebenslage_id\r\n10124,"Wohnsitz-\r\n meldungen",55\r\n'
            )
        )
    )
    assert leistungen[0].name == "Wohnsitz- meldungen"
    with pytest.raises(InvalidSourceFile) as caught:
        list(parse_ozg_leistungen(io.StringIO("ozg_id,ozg_leistung,lebenslage_id\nabc,X,55\n")))
    assert (caught.value.line, caught.value.field) == (2, "ozg_id")


def test_a_mapping_without_ozg_leistung_stays_unlinked():
    (row,) = parse_zuordnung(
        io.StringIO(
            "leika_key,name,ozg_id,typisierung,rechtsgrundlage\n"
            "99089003034004,Anzeige Aufnahme wegen Lärmbelästigung,,2/3,\n"
        )
    )
    assert row.ozg_id is None and row.typisierung == "2/3"
