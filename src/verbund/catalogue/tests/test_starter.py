"""The curated starter catalogue: complete, linked to the LeiKa, readable."""

import csv
import re

import pytest

from verbund.catalogue import actions
from verbund.catalogue.demo import starter_lebenslagen, starter_services
from verbund.catalogue.models import Lebenslage, Service
from verbund.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def _eval_services(shared_data):
    with (shared_data.parent / "eval" / "services.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_service_of_the_eval_list_is_curated_with_its_facts(shared_data):
    expected = _eval_services(shared_data)
    assert len(expected) == 91
    for row in expected:
        service = Service.objects.get(slug=row["slug"])
        assert service.is_curated, row["slug"]
        assert service.level == row["level"], row["slug"]
        assert service.wirkungskreis == row["wirkungskreis"], row["slug"]
    assert Service.objects.filter(is_curated=True).count() == len(expected)


def test_curated_services_carry_their_texts_and_search_words():
    for service in Service.objects.filter(is_curated=True):
        assert service.short_text and service.full_text, service.slug
        assert service.office, service.slug
        assert service.synonym_list and service.everyday_term_list, service.slug
        assert service.english_term_list, service.slug
        assert service.lebenslagen.exists(), service.slug


def test_texts_are_written_with_umlauts_not_transliterations():
    transliterated = re.compile(r"\b(Fuehr|Gebuehr|Behoerde|fuer|ueber|Strasse|Thueringen)", re.I)
    for service in Service.objects.filter(is_curated=True):
        for text in (service.name, service.short_text, service.full_text, service.office):
            assert not transliterated.search(text), (service.slug, text[:60])
    assert Service.objects.get(slug="fuehrerschein-umtausch").name == "Umtausch des Führerscheins"


def test_keys_exist_in_the_leika_and_prefer_the_newer_numbering(shared_data):
    with (shared_data / "leika" / "leistungen.csv").open(encoding="utf-8", newline="") as fh:
        known = {row["leika_key"] for row in csv.DictReader(fh)}
    keyed = {e["slug"]: e["leika_key"] for e in starter_services() if e.get("leika_key")}
    assert len(keyed) >= 85
    assert set(keyed.values()) <= known
    assert keyed["kfz-zulassung"].startswith("99036020")  # not 99036008 of 2019
    assert keyed["fuehrerschein-umtausch"].startswith("99108049")  # not 99023
    assert keyed["baugenehmigung"].startswith("99012070")  # not 99012008
    assert Service.objects.get(slug="baugenehmigung").leika_key == keyed["baugenehmigung"]


def test_life_situations_list_curated_services_in_order():
    umzug = Lebenslage.objects.get(slug="umzug")
    assert umzug.ozg_id == 55 and umzug.is_featured
    first = umzug.links.order_by("position").first()
    assert first.service.slug == "wohnsitz-anmelden"
    assert Lebenslage.objects.filter(is_featured=True).count() >= 8


def test_loading_the_starter_again_changes_nothing():
    report = actions.load_starter_catalogue(
        services=starter_services(), lebenslagen=starter_lebenslagen(), actor="test"
    )
    assert (report.created, report.updated) == (0, 0)
    assert report.services == 91


def test_a_curated_service_takes_over_the_base_row_of_its_key():
    base = Service.objects.get(leika_key="99085001012002")  # Reisepass Ausstellung express
    assert not base.is_curated
    entry = {
        "slug": "express-pass",
        "leika_key": "99085001012002",
        "name": "Express-Reisepass beantragen",
        "level": "gemeinde",
        "wirkungskreis": "uebertragen",
        "short_text": "Ein Pass in wenigen Tagen.",
    }
    actions.load_starter_catalogue(services=[entry], lebenslagen=[], actor="test")
    service = Service.objects.get(leika_key="99085001012002")
    assert service.pk == base.pk and service.slug == "express-pass" and service.is_curated
    assert service.leika_name == "Reisepass Ausstellung express"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"level": "bezirk"}, "unbekannte Ebene"),
        ({"slug": "Nicht gültig"}, "ungültiger Kurzname"),
        ({"leika_key": "12345"}, "ungültiger Leistungsschlüssel"),
        ({"synonyms": "kein, list"}, "muss eine Liste sein"),
    ],
)
def test_a_bad_starter_entry_is_refused(change, message):
    entry = {"slug": "probe", "name": "Probe", "level": "gemeinde", **change}
    with pytest.raises(InvalidInput, match=message):
        actions.load_starter_catalogue(services=[entry], lebenslagen=[], actor="test")
