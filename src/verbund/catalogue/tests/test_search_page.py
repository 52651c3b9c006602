"""The result page shows only answers (issue 15): a relevance floor, paging, "Meinten
Sie …?" for a corrected query, and LeiKa entries without internal keys."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def get(client, **params):
    return client.get(reverse("catalogue:search"), params)


def test_results_below_the_relevance_floor_are_not_shown(client):
    response = get(client, q="wald aufforsten erlaubnis")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Erstaufforstung" in html
    # curated services that only share the word "Erlaubnis" are no answer
    assert "Heilpraktikererlaubnis" not in html
    assert "Waffenbesitzkarte" not in html


def test_a_query_without_answers_says_so(client):
    html = get(client, q="qqqq zzzz").content.decode()
    assert "Dazu haben wir nichts gefunden." in html


def test_a_corrected_query_is_offered(client):
    html = get(client, q="baugenemigung").content.decode()
    assert "Meinten Sie" in html
    assert "?q=baugenehmigung" in html


def test_a_correct_query_gets_no_suggestion(client):
    assert "Meinten Sie" not in get(client, q="Baugenehmigung").content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "Neue Kunde anmelden",  # not "Hunde"
        "Gewerbe anmelden, was passiert dann",  # not "passport"
        "Wiese mähen lassen",  # not "Weise"
    ],
)
def test_a_common_word_the_catalogue_does_not_use_is_not_corrected(client, query):
    assert "Meinten Sie" not in get(client, q=query).content.decode()


def test_a_misspelt_word_among_common_ones_is_corrected(client):
    html = get(client, q="Kunde will Hausnumer").content.decode()
    assert "Meinten Sie" in html
    assert "Kunde will Hausnummer" in html


def test_results_are_paged(client):
    first = get(client, q="Genehmigung").content.decode()
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = get(client, q="Genehmigung", seite="2").content.decode()
    assert 'rel="prev"' in second
    assert 'start="11"' in second


@pytest.mark.parametrize("seite", ["0", "abc", "99"])
def test_a_page_that_does_not_exist_is_a_clear_400(client, seite):
    response = get(client, q="Genehmigung", seite=seite)
    assert response.status_code == 400
    assert "Diese Seite gibt es nicht." in response.content.decode()


def test_catalogue_entries_are_shown_without_internal_keys(client):
    html = get(client, q="wald aufforsten erlaubnis").content.decode()
    assert "Eintrag aus dem Leistungskatalog" in html
    assert "Leistungsschlüssel" not in html
    # an entry without a level starts with its note, not with a separator
    assert not re.search(r'catalogue-meta">\s*·', html)
    assert ">99048003" not in html


def test_a_catalogue_only_page_folds_its_keys_away_and_links_its_legal_basis(client):
    from verbund.catalogue.models import Service

    service = Service.objects.filter(leika_key__isnull=False, is_curated=False).first()
    service.legal_basis = "§ 20 AufenthG (https://www.gesetze-im-internet.de/aufenthg_2004/)"
    service.typisierung = "2/3"
    service.save()
    html = client.get(f"/leistungen/{service.slug}/").content.decode()
    technical = html.index('<details class="catalogue-technical"')
    # the keys and the Typisierung stand only in the folded technical part
    assert html.index("Typisierung") > technical
    assert html.index(">Leistungsschlüssel</dt>") > technical
    # the legal basis links its source instead of printing the address as text
    assert '<a href="https://www.gesetze-im-internet.de/aufenthg_2004/"' in html


def test_the_floor_leaves_off_what_scores_under_half_the_best():
    from verbund.catalogue.search import FLOOR_RATIO, Hit, above_floor

    hits = [Hit(1, 1.0, 1.0, 1.0), Hit(2, 0.55, 1.0, 1.0), Hit(3, 0.45, 1.0, 1.0)]
    assert FLOOR_RATIO == 0.5
    assert [h.service_id for h in above_floor(hits)] == [1, 2]


def test_a_result_found_by_meaning_alone_must_come_closer_to_the_best():
    from verbund.catalogue.search import FLOOR_RATIO_MEANING, Hit, above_floor

    best = Hit(1, 1.0, 1.0, 1.0)
    worded = Hit(2, 0.6, 0.5, 1.0)  # matched a word of the query
    near = Hit(3, 0.75, 0.0, 0.6)  # found by meaning alone, close to the best
    far = Hit(4, 0.6, 0.0, 0.6)  # by meaning alone, as far as the worded one
    assert FLOOR_RATIO_MEANING == 0.7
    assert [h.service_id for h in above_floor([best, near, worded, far])] == [1, 3, 2]


def test_the_floor_shows_a_weak_word_match_only_where_the_meaning_agrees():
    from verbund.catalogue.search import FLOOR_EVIDENCE, Hit, above_floor

    weak = FLOOR_EVIDENCE * 0.8  # e.g. only "property tax" of an English query is known
    best = Hit(1, 1.0, 0.3, weak, agreement=1.0)  # also the closest service in meaning
    agreeing = Hit(2, 0.9, 0.3, weak, agreement=0.85)
    word_only = Hit(3, 0.8, 0.3, weak)  # shares the word, far in meaning
    far = Hit(4, 0.7, 0.3, weak, agreement=0.2)
    assert [h.service_id for h in above_floor([best, agreeing, word_only, far])] == [1, 2]
    # a strong word match needs no agreement
    assert above_floor([Hit(5, 1.0, 1.0, FLOOR_EVIDENCE)]) == [Hit(5, 1.0, 1.0, FLOOR_EVIDENCE)]
