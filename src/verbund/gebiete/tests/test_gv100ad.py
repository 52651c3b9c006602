import datetime

import pytest

from verbund.core.errors import InvalidSourceFile
from verbund.gebiete.gv100ad import parse_gv100ad, parse_line
from verbund.gebiete.models import GebietType, Level


def _line(
    satzart,
    rest_ags,
    verband="    ",
    name="Testort",
    seat="",
    typ="64",
    area="00000000846",
    pop="00000000345",
    male="00000000173",
    plz="07646",
):
    text = f"{satzart}20231130{rest_ags:<8}{verband:<4}{name:<50}{seat:<50}{typ:<2}    "
    text += f"{area}{pop}{male}    {plz}     "
    return text.ljust(220)


def test_real_lines_become_records(shared_data):
    # given: the official file
    path = shared_data / "gebiete" / "GV100AD_301123.txt"
    with path.open(encoding="utf-8") as fh:
        records = {(r.level, r.key): r for r in parse_gv100ad(fh, land="16")}
    # then: Arenshausen is a member of the VG Hanstein-Rusteberg in the Eichsfeld
    arenshausen = records[(Level.GEMEINDE, "16061001")]
    assert arenshausen.name == "Arenshausen"
    assert arenshausen.ars == "160615008001"
    assert arenshausen.verband_key == "160615008"
    assert arenshausen.kreis_key == "16061"
    assert arenshausen.gebietsstand == datetime.date(2023, 11, 30)
    assert records[(Level.VERBAND, "160615008")].type == GebietType.VERWALTUNGSGEMEINSCHAFT
    assert records[(Level.KREIS, "16051")].type == GebietType.KREISFREIE_STADT
    erfurt = records[(Level.GEMEINDE, "16051000")]
    assert erfurt.population == 214969 and erfurt.area_ha == 26991 and erfurt.seat_plz == "99084"
    # placeholder Verband records of verbandsfreie Gemeinden are not kept
    assert (Level.VERBAND, "160510000") not in records
    levels = [r.level for r in records.values()]
    assert levels.count(Level.GEMEINDE) == 624
    assert levels.count(Level.KREIS) == 22


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("7X20231130160610010000" + "x" * 150, "Satzart"),
        ("6020231340160610015008Arenshausen".ljust(220), "Gebietsstand"),
        ("60202311301606100".ljust(60), "Satzlänge"),
        (_line("60", "16061A01", "5008"), "Gemeinde"),
        (_line("60", "16061001", "5008", typ="99"), "Typ"),
        (_line("60", "16061001", "5008", pop="0000000034x"), "Bevölkerung"),
        (_line("60", "16061001", "5008", plz="3731x"), "PLZ"),
        (_line("60", "16061001", "5008", name=""), "Name"),
        (_line("40", "16061   ", typ="49"), "Typ"),
    ],
)
def test_malformed_line_names_line_and_field(text, field):
    with pytest.raises(InvalidSourceFile) as info:
        parse_line(text, line=17)
    assert info.value.line == 17
    assert info.value.field == field
    assert info.value.message.startswith(f"Zeile 17, Feld {field}:")


def test_blank_and_region_lines_are_skipped():
    assert parse_line("   ", line=1) is None
    assert parse_line("30" + "20231130" + "081" + " " * 200, line=2) is None


def test_other_land_lines_are_filtered_but_still_checked():
    lines = [_line("60", "10041100", "0000"), _line("60", "16061001", "5008")]
    assert [r.key for r in parse_gv100ad(lines, land="16")] == ["16061001"]
    with pytest.raises(InvalidSourceFile):
        list(parse_gv100ad(["ZZ" + "0" * 200], land="16"))
