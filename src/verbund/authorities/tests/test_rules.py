import pytest

from verbund.authorities.rules import (
    InvalidLeitwegId,
    leitweg_check_digits,
    make_leitweg_id,
    parse_leitweg_id,
)

VECTORS = ["16069042-0001-83", "16068058-0001-73", "16901101-0001-78", "16502400-0001-42"]


@pytest.mark.parametrize("value", VECTORS)
def test_official_examples_are_valid(value):
    assert str(parse_leitweg_id(value)) == value


@pytest.mark.parametrize("value", VECTORS)
def test_every_changed_digit_fails(value):
    for index, char in enumerate(value):
        if not char.isdigit():
            continue
        for digit in "0123456789":
            if digit == char:
                continue
            changed = value[:index] + digit + value[index + 1 :]
            with pytest.raises(InvalidLeitwegId):
                parse_leitweg_id(changed)


@pytest.mark.parametrize("value", VECTORS)
def test_swapped_neighbours_fail(value):
    digits = value.replace("-", "")
    for i in range(len(digits) - 1):
        if digits[i] == digits[i + 1]:
            continue
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        grob_len = value.index("-")
        candidate = f"{swapped[:grob_len]}-{swapped[grob_len:-2]}-{swapped[-2:]}"
        with pytest.raises(InvalidLeitwegId):
            parse_leitweg_id(candidate)


def test_letters_in_fein_are_case_insensitive():
    lw = make_leitweg_id("16", "tlvwa")
    assert lw.fein == "TLVWA"
    assert parse_leitweg_id(str(lw).lower()) == lw
    # the whole ID as a number (letters A=10 … Z=35) is 1 modulo 97
    assert int("16" + "2921313210" + lw.pp) % 97 == 1


def test_without_fein():
    pp = leitweg_check_digits("16061")
    assert parse_leitweg_id(f"16061-{pp}").fein == ""


@pytest.mark.parametrize(
    "value",
    [
        "",
        "16069042",
        "16069042-0001",
        "16069042-0001-8",
        "1-0001-83",
        "1234-0001-83",
        "16069042-00_1-83",
        "16069042-" + "A" * 31 + "-00",
        "1606904200012-0001-83",
        "16069042--83",
        "16069042-0001-83-1",
    ],
)
def test_malformed_ids_are_rejected_with_a_reason(value):
    with pytest.raises(InvalidLeitwegId) as info:
        parse_leitweg_id(value)
    assert info.value.message
