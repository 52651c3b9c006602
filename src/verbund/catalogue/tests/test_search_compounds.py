"""Unknown compounds and the evidence they give, on a small vocabulary of their own."""

import pytest

from verbund.catalogue import language, search
from verbund.catalogue.search import Concept, Engine, ServiceInfo

pytestmark = pytest.mark.django_db

WORDS = [
    "ende",
    "steuer",
    "adoption",
    "ausweis",
    "anlage",
    "heizoelanlage",
    "pflegekind",
    "kind",
]


def engine(lebenslagen=None, words=WORDS):
    vocabulary = [(w, language.stem(w), 3) for w in words]
    services = {1: ServiceInfo(is_curated=False, is_outdated=False, boost=1.0, groups=())}
    return Engine(
        version=1, vocabulary=vocabulary, services=services, lebenslagen=lebenslagen or []
    )


def test_a_head_counts_only_after_a_first_part_that_ends_in_a_word():
    e = engine()
    assert e.known_head("katzensteuer") == (language.stem("steuer"), "katzen")
    # the first part may be a compound itself: a Stiefkind ends in Kind
    assert e.known_head("stiefkindadoption") == (language.stem("adoption"), "stiefkind")
    # "organsp" is no word and ends in none: an Organspende is no Ende
    assert e.known_head("organspende") == ("", "")
    # a verb with its particle is no compound
    assert e.known_head("umgefahren") == ("", "")


def test_an_unknown_compound_without_a_known_head_names_its_domain_by_its_first_part():
    e = engine()
    # "Heizöltank": no "Tank" in the vocabulary, but the Heizölanlage shares "Heizöl"
    assert e.known_modifier("heizoeltank") == ([language.stem("heizoelanlage")], "tank")
    concept = e.analyse_query("Heizöltank")[0]
    assert concept.alternatives == {language.stem("heizoelanlage"): search.COMPOUND_MODIFIER}
    assert concept.unknown_part == "tank"
    # the first part ends where a word begins on both sides: Pflege-kasse, Pflege-kind
    assert e.known_modifier("pflegekasse") == ([language.stem("pflegekind")], "kasse")
    # shared first letters are no first part: without "Kind" Pflegekind goes on with "ind"
    assert engine(words=[w for w in WORDS if w != "kind"]).known_modifier("pflegekasse") == (
        [],
        "",
    )


def test_a_compound_known_only_by_a_part_keeps_the_query_unanswered():
    e = engine()
    text = "Museumsausweis für das Kind"
    concepts = e.analyse_query(text)
    assert [c.text for c in concepts] == ["museumsausweis", "kind"]
    assert concepts[0].unknown_part == "museums"
    # the Museum is something the vocabulary does not know
    assert search.unknown_words(text, concepts) == 1
    # a first part that is a particle or a preposition adds nothing unknown
    concepts = e.analyse_query("Nebensteuer")
    assert concepts[0].unknown_part == ""
    assert search.unknown_words("Nebensteuer", concepts) == 0


def test_a_life_situation_named_by_a_guess_is_weak_evidence():
    ausweis = language.stem("ausweis")
    e = engine(lebenslagen=[({ausweis}, [1])])
    rows = [(1, "", "", "", "", "")]
    guessed = Concept("buechereiausweis", {ausweis: search.COMPOUND_HEAD})
    [hit] = e.score([guessed], rows)
    assert hit.evidence == pytest.approx(search.COMPOUND_HEAD / search.EVIDENCE_QUALITY)
    [hit] = e.score([Concept("ausweis", {ausweis: search.EXACT})], rows)
    assert hit.evidence == 1.0


def test_the_head_of_a_known_compound_answers_it_as_far_as_the_head_is_rare():
    info = ServiceInfo(is_curated=False, is_outdated=False, boost=1.0, groups=())
    vocabulary = [
        (w, language.stem(w), df)
        for w, df in [("gewerbe", 2), ("steuer", 15), ("gewerbesteuer", 1)]
    ]
    e = Engine(
        version=1, vocabulary=vocabulary, services={n: info for n in range(1, 21)}, lebenslagen=[]
    )
    [concept] = e.analyse_query("Gewerbesteuer")
    tax, trade_tax = language.stem("steuer"), language.stem("gewerbesteuer")
    assert concept.alternatives[tax] == search.COMPOUND_HEAD
    rows = [(1, trade_tax, "", "", "", ""), (2, tax, "", "", "", "")]
    answers = {hit.service_id: hit.evidence for hit in e.score([concept], rows)}
    assert answers[1] == 1.0
    # any Steuer answers a Gewerbesteuer only as far as "Steuer" tells of it
    telling = e.idf(tax) / e.idf(trade_tax)
    assert answers[2] == pytest.approx(search.COMPOUND_HEAD * telling / search.EVIDENCE_QUALITY)
    assert answers[2] < search.COMPOUND_HEAD / search.EVIDENCE_QUALITY


def test_the_index_splits_a_compound_part_that_is_a_compound_itself():
    from verbund.catalogue.indexing import Analyser

    analyser = Analyser({"feiertag", "ruhe", "ruhezeit", "zeit", "abend"})
    # "Feiertagsruhezeit" is Feiertag + Ruhezeit, and a Ruhezeit is Ruhe + Zeit
    parts = analyser.parts(["Feiertagsruhezeit"], exclude=[])
    assert set(parts) >= {language.stem(w) for w in ("feiertag", "ruhezeit", "ruhe", "zeit")}


def test_a_common_word_stands_only_for_another_form_of_itself():
    e = engine(words=[*WORDS, "hunde", "tanne", "braucht"])
    # "Runde" and "Tante" are words of their own, not typos of "Hunde" and "Tanne"
    assert language.is_common_word("runde") and language.is_common_word("tante")
    assert e.analyse_query("Runde") == []
    assert e.analyse_query("Tante") == []
    # "Brauch" may mean the catalogue's "braucht": the same word but for its ending
    [concept] = e.analyse_query("Brauch")
    assert language.stem("braucht") in concept.alternatives
    # a word no list knows is still corrected wherever it differs
    [concept] = e.analyse_query("Tannne")
    assert language.stem("tanne") in concept.alternatives
    assert language.differ_in_ending("brauch", "braucht")
    assert not language.differ_in_ending("gehege", "gehweg")


def test_a_common_word_is_no_form_of_a_word_with_another_last_letter():
    e = engine(words=[*WORDS, "raum", "kauft"])
    # "raus" and "Raum" differ only in the last letter, but neither letter is an ending
    assert language.is_common_word("raus")
    assert e.analyse_query("raus") == []
    assert not language.differ_in_ending("kaum", "kauf")
    # "kaufe" and "kauft" are forms of one verb: -e and -t are endings
    assert language.is_common_word("kaufe")
    assert language.differ_in_ending("kaufe", "kauft")
    [concept] = e.analyse_query("kaufe")
    assert language.stem("kauft") in concept.alternatives


def test_two_words_of_one_stem_are_one_concept():
    e = engine(words=[*WORDS, "mieter", "miete", "wohngeld"])
    text = "Mieter schuldet Miete"
    concepts = e.analyse_query(text)
    # "Mieter" and "Miete" both ask for "miet": a service holding it answers one concept,
    # not two, and the thesaurus's Wohngeld for "Miete" stays an alternative of it
    rent = [c for c in concepts if language.stem("miete") in c.alternatives]
    assert len(rent) == 1
    assert language.stem("wohngeld") in rent[0].alternatives
    assert search.unknown_words(text, concepts) == search.unknown_words("schuldet", concepts)


def test_a_spoken_particle_joins_its_verb_in_its_written_form():
    e = engine(words=[*WORDS, "herausfinden"])
    # "finde … raus" is herausfinden, as the catalogue writes it
    concepts = e.analyse_query("wie finde ich die Adresse raus")
    assert any(language.stem("herausfinden") in c.alternatives for c in concepts)


def test_a_noun_and_a_verb_mean_the_compound_of_their_stems():
    # German names the act on a thing as one compound of the noun and the verb's noun:
    # "Grundstück teilen" is a Grundstücksteilung, "Führerschein umtauschen" a
    # Führerscheinumtausch
    from verbund.catalogue.search import current_engine

    engine = current_engine()
    assert engine._compound_of("grundstueck", "teilen", by_stem=True) == "grundstuecksteilung"
    assert engine._compound_of("fuehrerschein", "umtauschen", by_stem=True) == (
        "fuehrerscheinumtausch"
    )
    # formed, not written apart: only with by_stem
    assert engine._compound_of("grundstueck", "teilen") == ""
    from verbund.catalogue.queries import search_services

    found = search_services("flurstück teilen lassen", limit=3)
    assert found and "teilung" in found[0].service.name.lower(), [r.service.name for r in found]
