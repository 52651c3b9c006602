"""The result page names a service in the query's language too (decision 0016, addendum
"names in the query's language"): the language is told from the query's script, letters
and words; the names are the Verbund team's, for every curated service."""

from __future__ import annotations

import tomllib

import pytest
from django.urls import reverse

from verbund.catalogue import translations
from verbund.catalogue.tests.test_search_languages import APP


def test_every_curated_service_has_a_name_in_every_language():
    with (APP / "starter.toml").open("rb") as fh:
        slugs = {service["slug"] for service in tomllib.load(fh)["service"]}
    names = translations.names()
    assert set(names) == slugs
    for slug, by_language in names.items():
        assert set(by_language) == set(translations.LANGUAGES), slug
        assert all(text.strip() and "\n" not in text for text in by_language.values()), slug


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("بطاقة الإقامة للطالب", "ar"),
        ("де отримати довідку для їзди", "uk"),  # ї
        ("нужна выписка из реестра", "ru"),  # ы
        ("làm lại giấy tờ xe", "vi"),
        ("zaświadczenie o zameldowaniu", "pl"),
        ("certificat de naștere", "ro"),
        ("where can I get a parking permit", "en"),
        ("wie beantrage ich eine Parkerlaubnis", ""),
        ("Anwohnerparkausweis", ""),
        ("паспорт", ""),  # Ukrainian and Russian alike: no guess
        ("", ""),
    ],
)
def test_the_query_language_is_told_or_left_open(query, lang):
    assert translations.query_language(query) == lang


def test_no_german_phrase_of_the_catalogue_is_taken_for_another_language():
    """German words other languages write too ("Auto", "Firma", "Register") or German
    one-letter words ("Grundsteuer A", "ALG I") make no query foreign."""
    with (APP / "starter.toml").open("rb") as fh:
        services = tomllib.load(fh)["service"]
    phrases: list[str] = []
    for service in services:
        phrases += [service["name"], service.get("name_2", "")]
        phrases += service.get("synonyms", []) + service.get("everyday_terms", [])
    phrases = [text for text in phrases if text]
    assert len(phrases) > 1000
    taken = {p: translations.query_language(p) for p in phrases}
    assert {p: lang for p, lang in taken.items() if lang} == {}


def test_a_german_query_is_not_taken_for_a_lexicon_language():
    # Words that begin as lexicon words of other languages do (five letters) are no sign.
    for query in ("Ausweis verloren", "Hund anmelden", "Kfz Zulassung", "Pass abholen"):
        assert translations.query_language(query) == ""


@pytest.mark.django_db
def test_the_result_page_names_the_service_in_the_query_language(client):
    ukrainian = translations.name_in("reisepass-beantragen", "uk")
    assert ukrainian
    page = client.get(reverse("catalogue:search"), {"q": "закордонний паспорт отримати їхати"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="uk"' in html and ukrainian in html
    german = client.get(reverse("catalogue:search"), {"q": "Reisepass beantragen"}).content.decode()
    assert "catalogue-translation" not in german
    arabic = client.get(reverse("catalogue:search"), {"q": "جواز سفر"}).content.decode()
    assert 'lang="ar" dir="rtl"' in arabic


@pytest.mark.django_db
def test_an_english_page_names_the_results_in_english(client, settings):
    """Whoever chose English for the pages reads the names in English, whatever the words."""
    english = translations.name_in("reisepass-beantragen", "en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("catalogue:search"), {"q": "Reisepass"}).content.decode()
    assert f'lang="en" dir="ltr">{english}<' in html
    # A query in another language still names them in that language.
    arabic = client.get(reverse("catalogue:search"), {"q": "جواز سفر"}).content.decode()
    assert 'lang="ar"' in arabic and 'lang="en" dir="ltr">' not in arabic
