"""The evidence a query gives, on a small vocabulary of its own."""

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


def test_a_life_situation_named_by_a_guess_is_weak_evidence():
    ausweis = language.stem("ausweis")
    e = engine(lebenslagen=[({ausweis}, [1])])
    rows = [(1, "", "", "", "", "")]
    guessed = Concept("buechereiausweis", {ausweis: search.COMPOUND_HEAD})
    [hit] = e.score([guessed], rows)
    assert hit.evidence == pytest.approx(search.COMPOUND_HEAD / search.EVIDENCE_QUALITY)
    [hit] = e.score([Concept("ausweis", {ausweis: search.EXACT})], rows)
    assert hit.evidence == 1.0
