"""Search for everyone (issue 15): every script survives the analysis, queries in the
languages people in Thüringen speak find the German service, and the vocabulary the
platform ships holds none of the development queries."""

import csv
import tomllib
from pathlib import Path

import pytest

from verbund.catalogue import language, search
from verbund.catalogue.queries import search_services

APP = Path(search.__file__).resolve().parent


def top(query, n=5):
    return [r.service.slug for r in search_services(query, limit=n)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Посвідчення ВОДІЯ", ["посвідчення", "водія"]),
        ("Водительские права", ["водительские", "права"]),
        ("رخصة القيادة", ["رخصة", "القيادة"]),
        ("Giấy phép lái xe", ["giay", "phep", "lai", "xe"]),
        ("Sürücü belgesi ılık İzmir", ["sueruecue", "belgesi", "ilik", "izmir"]),
        ("prawo jazdy Łódź", ["prawo", "jazdy", "lodz"]),
        ("Führerschein", ["fuehrerschein"]),
    ],
)
def test_folding_keeps_the_letters_of_every_script(text, expected):
    assert language.words(text) == expected


def test_inflected_forms_meet_in_one_foreign_form():
    assert language.foreign_form("свидетельства") == language.foreign_form("свидетельство")
    assert language.foreign_form("الشهادة") == language.foreign_form("شهادة")
    assert language.foreign_form("ehliyetimi") == language.foreign_form("ehliyet")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("водительские права потерял", "fuehrerschein-verlust"),
        ("свідоцтво про народження", "geburtsurkunde"),
        ("رخصة قيادة دولية", "fuehrerschein"),
        ("ehliyetimi kaybettim", "fuehrerschein"),
        ("podatek od psa", "hundesteuer"),
        ("bằng lái xe", "fuehrerschein"),
        ("muốn đăng ký xe máy vừa mua", "kfz-zulassung"),
    ],
)
def test_queries_in_other_languages_find_the_german_service(query, expected):
    found = top(query)
    assert found, query
    assert any(slug.startswith(expected) for slug in found[:3]), found


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["паспорт", "جواز سفر", "hộ chiếu", "pasaport"])
def test_non_latin_and_accented_queries_return_results(query):
    assert top(query)


def shipped_vocabulary() -> set[str]:
    """Every phrase the platform ships as people's words: thesaurus and lexicon keys, the
    curated services' synonyms, everyday and English terms and names in other languages,
    the life situations' terms."""

    def norm(text: str) -> str:
        return " ".join(language.fold(text).split())

    with (APP / "thesaurus.toml").open("rb") as fh:
        phrases = {norm(k) for section in tomllib.load(fh).values() for k in section}
    phrases |= {norm(k) for k in search.lexicon_entries()}
    with (APP / "starter.toml").open("rb") as fh:
        for service in tomllib.load(fh)["service"]:
            for name in ("synonyms", "everyday_terms", "english_terms"):
                phrases |= {norm(t) for t in service.get(name, [])}
    with (APP / "lebenslagen.toml").open("rb") as fh:
        for lebenslage in tomllib.load(fh)["lebenslage"]:
            phrases |= {norm(t) for t in lebenslage.get("terms", [])}
    # The names in other languages are shown, not searched, but are people's words too.
    with (APP / "translations.toml").open("rb") as fh:
        phrases |= {norm(t) for names in tomllib.load(fh).values() for t in names.values()}
    return phrases


@pytest.mark.parametrize("dev_set", ["search-dev.csv", "search-dev-2.csv"])
def test_no_dev_query_is_in_the_shipped_vocabulary(shared_data, dev_set):
    vocabulary = shipped_vocabulary()
    assert len(vocabulary) > 1000
    with (shared_data.parent / "eval" / dev_set).open(encoding="utf-8") as fh:
        queries = [row["query"] for row in csv.DictReader(fh)]
    assert queries
    leaked = [q for q in queries if " ".join(language.fold(q).split()) in vocabulary]
    assert leaked == []
    # The names in other languages are whole phrases: no query of two or more words may
    # be part of one either.
    with (APP / "translations.toml").open("rb") as fh:
        names = [language.fold(t) for n in tomllib.load(fh).values() for t in n.values()]
    inside = [
        q
        for q in queries
        if len(q.split()) >= 2 and any(" ".join(language.fold(q).split()) in n for n in names)
    ]
    assert inside == []


@pytest.mark.django_db
def test_words_whose_meanings_form_a_compound_find_the_compound():
    # Geburt + Urkunde, in the order of the other language: Geburtsurkunde
    assert top("свидетельство о рождении", 1) == ["geburtsurkunde"]


@pytest.mark.parametrize(
    ("word", "common"),
    [
        ("kunde", True),
        ("passiert", True),
        ("naechste", True),  # the folding wrote its umlaut out
        ("fuer", True),
        ("fast", True),  # English and German
        ("genemigung", False),
        ("hausnumer", False),
        ("grundsteur", False),
    ],
)
def test_common_words_are_told_from_misspellings(word, common):
    assert language.is_common_word(word) is common


@pytest.mark.django_db
def test_english_words_are_read_in_their_inflected_forms():
    from verbund.catalogue.search import current_engine

    engine = current_engine()

    def meanings(text):
        return {t for c in engine.analyse_query(text) for t in c.alternatives}

    # the thesaurus lists "demolish" and "tear down", not these forms
    assert "abbruch" in meanings("demolishing the garage")
    assert "abbruch" in meanings("tearing down")
    assert "anzeig" in meanings("notified")
    # a German word is never read as an English one: "Notare" has the English stem of
    # "notarize", but the vocabulary knows it as German
    assert "beglaub" in meanings("notarizing")
    assert "beglaub" not in meanings("notare")


@pytest.mark.django_db
def test_an_inflected_english_query_finds_the_service():
    found = search_services("demolishing our old barn", limit=3)
    assert found and found[0].service.slug == "abbruch-anzeige", [r.service.slug for r in found]
