import datetime
from decimal import Decimal

import pytest

from verbund.applications import rules
from verbund.applications.formschema import parse_form
from verbund.core.errors import InvalidSourceFile

TODAY = datetime.date(2026, 6, 15)

FORM = parse_form(
    {
        "id": "test",
        "codelists": {"art": [{"code": "a", "label": "A"}, {"code": "b", "label": "B"}]},
        "fees": {
            "items": [
                {"type": "fixed", "label": "Grundgebühr", "amount": "10.00"},
                {"type": "per_item", "label": "je Hund", "amount": "5.50", "field": "hunde"},
                {
                    "type": "range",
                    "label": "Staffel",
                    "field": "monate",
                    "ranges": [{"max": 12, "amount": "30"}, {"max": 24, "amount": "50"}],
                },
            ]
        },
        "steps": [
            {
                "id": "eins",
                "title": "Eins",
                "items": [
                    {"id": "name", "label": "Name", "required": True, "max_length": 5},
                    {"id": "art", "kind": "select", "label": "Art", "codelist": "art"},
                    {"id": "grund", "label": "Grund"},
                    {"id": "extra", "label": "Extra"},
                    {"id": "von", "label": "Von", "datatype": "date"},
                    {"id": "bis", "label": "Bis", "datatype": "date"},
                    {"id": "monate", "label": "Monate", "datatype": "num_int", "min": 1, "max": 24},
                    {"id": "betrag", "label": "Betrag", "datatype": "num_currency"},
                    {"id": "plz", "label": "PLZ", "pattern": "[0-9]{5}"},
                    {"id": "tel", "label": "Telefon"},
                    {"id": "mail", "label": "E-Mail"},
                ],
                "rules": [
                    {
                        "type": "required_if",
                        "field": "grund",
                        "when": {"field": "art", "equals": "b"},
                    },
                    {
                        "type": "visible_if",
                        "field": "extra",
                        "when": {"field": "art", "equals": "a"},
                    },
                    {"type": "date_range", "field": "von", "min": "today-1y", "max": "today"},
                    {
                        "type": "compare",
                        "field": "bis",
                        "op": ">",
                        "right": {"field": "von"},
                        "message": "Bis muss nach Von liegen.",
                    },
                    {"type": "one_of_required", "field": "tel", "fields": ["tel", "mail"]},
                ],
            },
            {
                "id": "zwei",
                "title": "Zwei",
                "items": [
                    {
                        "type": "group",
                        "id": "hunde",
                        "label": "Hunde",
                        "min": 1,
                        "max": 3,
                        "items": [
                            {"id": "name", "label": "Name", "required": True},
                            {"id": "wurf", "label": "Wurf", "datatype": "date"},
                            {"id": "seit", "label": "Seit", "datatype": "date"},
                        ],
                        "rules": [
                            {
                                "type": "compare",
                                "field": "seit",
                                "op": ">=",
                                "right": {"field": "wurf"},
                            }
                        ],
                    }
                ],
            },
        ],
    }
)
VALID = {"name": "Anna", "tel": "123", "hunde": [{"name": "Rex"}]}


def errors(data):
    return rules.validate(FORM, data, today=TODAY)


def test_valid_data_has_no_errors():
    assert errors(VALID) == {}


def test_required_field_and_length():
    assert "name" in errors({**VALID, "name": ""})
    assert "höchstens 5" in errors({**VALID, "name": "Annabell"})["name"]


def test_required_if_applies_only_when_condition_holds():
    assert "grund" in errors({**VALID, "art": "b"})
    assert "grund" not in errors({**VALID, "art": "a"})


def test_visibility_drops_hidden_values_from_the_submission():
    assert "extra" in rules.clean(FORM, {**VALID, "art": "a", "extra": "x"})
    assert "extra" not in rules.clean(FORM, {**VALID, "art": "b", "grund": "g", "extra": "x"})


def test_date_range_relative_to_today():
    assert "von" in errors({**VALID, "von": "2025-01-01"})
    assert "von" in errors({**VALID, "von": "2026-06-16"})
    assert "von" not in errors({**VALID, "von": "2026-01-01"})


def test_cross_field_compare():
    assert (
        errors({**VALID, "von": "2026-05-01", "bis": "2026-04-01"})["bis"]
        == "Bis muss nach Von liegen."
    )
    assert "bis" not in errors({**VALID, "von": "2026-05-01", "bis": "2026-05-02"})


def test_one_of_required():
    assert "tel" in errors({k: v for k, v in VALID.items() if k != "tel"})
    assert "tel" not in errors({**{k: v for k, v in VALID.items() if k != "tel"}, "mail": "a@b.de"})


def test_repeat_group_min_max_and_row_rules():
    assert "hunde" in errors({**VALID, "hunde": []})
    assert "hunde" in errors({**VALID, "hunde": [{"name": "a"}] * 4})
    bad = errors(
        {
            **VALID,
            "hunde": [{"name": "Rex"}, {"name": "", "wurf": "2026-01-02", "seit": "2026-01-01"}],
        }
    )
    assert set(bad) == {"hunde.1.name", "hunde.1.seit"}


def test_numbers_codes_and_patterns():
    assert "monate" in errors({**VALID, "monate": 30})
    assert "art" in errors({**VALID, "art": "z"})
    assert "plz" in errors({**VALID, "plz": "1234"})


@pytest.mark.parametrize(
    ("datatype", "raw", "value"),
    [
        ("num_currency", "1.234,5", "1234.50"),
        ("num_currency", "12.30", "12.30"),
        ("num_int", "42", 42),
        ("num", "3,75", "3.75"),
        ("date", "01.02.2026", "2026-02-01"),
        ("date", "2026-02-01", "2026-02-01"),
        ("time", "9:05", "09:05"),
        ("datetime", "2026-02-01T09:05", "2026-02-01T09:05"),
        ("bool", "false", False),
        ("text", "  Text ", "Text"),
    ],
)
def test_read_input_types(datatype, raw, value):
    field = parse_form(
        {
            "id": "x",
            "steps": [{"id": "s", "title": "S", "items": [{"id": "f", "datatype": datatype}]}],
        }
    ).find("f")
    assert rules.read_input(field, raw) == value


@pytest.mark.parametrize(
    ("datatype", "raw"),
    [
        ("num_int", "1,5"),
        ("date", "31.02.2026"),
        ("num", "abc"),
        ("time", "25:00"),
        ("num_currency", "1,234"),
    ],
)
def test_unreadable_input_gets_a_german_message(datatype, raw):
    field = parse_form(
        {
            "id": "x",
            "steps": [{"id": "s", "title": "S", "items": [{"id": "f", "datatype": datatype}]}],
        }
    ).find("f")
    with pytest.raises(rules.InputError) as exc:
        rules.read_input(field, raw)
    assert "Bitte" in str(exc.value)


def test_fees_fixed_per_item_and_range():
    fee = rules.calculate_fee(FORM, {"hunde": [{}, {}], "monate": 18})
    assert [line.amount for line in fee.lines] == [
        Decimal("10.00"),
        Decimal("11.00"),
        Decimal("50.00"),
    ]
    assert fee.total == Decimal("71.00")
    assert rules.format_money(Decimal("1234.5")) == "1.234,50 €"


@pytest.mark.parametrize(
    ("definition", "where"),
    [
        ({"id": "x", "steps": []}, "form.steps"),
        (
            {
                "id": "x",
                "steps": [{"id": "s", "title": "S", "items": [{"id": "f", "kind": "radio"}]}],
            },
            "steps.s.f",
        ),
        (
            {"id": "x", "steps": [{"id": "s", "title": "S", "items": [{"id": "f"}, {"id": "f"}]}]},
            "steps.s.f",
        ),
        (
            {
                "id": "x",
                "steps": [{"id": "s", "title": "S", "items": [{"id": "f", "kind": "select"}]}],
            },
            "steps.s.f",
        ),
        (
            {
                "id": "x",
                "steps": [{"id": "s", "title": "S", "items": [{"id": "f"}]}],
                "rules": [{"type": "compare", "field": "g", "op": "<"}],
            },
            "form",
        ),
    ],
)
def test_invalid_definitions_name_the_element(definition, where):
    with pytest.raises(InvalidSourceFile) as exc:
        parse_form(definition)
    assert where in exc.value.message
