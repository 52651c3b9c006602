"""The public pages: start, results, service, life situations."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_start_page_has_the_search_box_and_life_situations(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html and 'name="q"' in html
    assert re.search(r'<label class="kern-label" for="start-suche">', html)
    assert 'href="/lebenslagen/umzug/"' in html and "Umzug" in html
    assert "<script" not in html


def test_results_page_lists_the_best_answers(client):
    response = client.get("/leistungen/", {"q": "perso abgelaufen"})
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["results"][0].service.slug == "personalausweis-beantragen"
    assert 'href="/leistungen/personalausweis-beantragen/"' in html
    assert 'value="perso abgelaufen"' in html


def test_results_page_helps_when_nothing_is_found(client):
    html = client.get("/leistungen/", {"q": "xqzvbnm"}).content.decode()
    assert "nichts gefunden" in html and 'href="/lebenslagen/"' in html


def test_results_page_without_query_lists_services_a_to_z(client):
    response = client.get("/leistungen/")
    html = response.content.decode()
    assert "von A bis Z" in html
    assert 'href="/leistungen/kindergeld/"' in html


def test_too_long_query_is_an_error_linked_to_the_field(client):
    html = client.get("/leistungen/", {"q": "x" * 300}).content.decode()
    assert 'role="alert"' in html and 'href="#suche"' in html


def test_service_page_shows_every_text(client):
    response = client.get("/leistungen/wohnsitz-anmelden/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Anmeldung einer Wohnung",
        "Wohnungsgeberbestätigung",
        "Was kostet das?",
        "Bundesmeldegesetz",
        "99115005104000",
        "Wohnsitzmeldungen",
        "Wer ist zuständig?",
        'href="/lebenslagen/umzug/"',
    ):
        assert text in html, text
    assert "<script" not in html


def test_service_page_offers_the_finder_form_when_the_finder_is_installed(client, settings):
    settings.ROOT_URLCONF = "verbund.catalogue.tests.urls_with_finder"
    html = client.get("/leistungen/wohnsitz-anmelden/").content.decode()
    assert 'action="/leistungen/wohnsitz-anmelden/zustaendigkeit"' in html
    assert 'method="get"' in html
    assert '<label class="kern-label" for="finder-plz">' in html and 'name="plz"' in html
    assert 'name="ort"' in html


def test_service_page_without_finder_renders_no_form(client, settings):
    settings.ROOT_URLCONF = "verbund.catalogue.tests.urls_without_finder"
    html = client.get("/leistungen/wohnsitz-anmelden/").content.decode()
    assert 'name="plz"' not in html
    assert "Wer ist zuständig?" in html


def test_leika_service_page_and_old_key_links(client):
    response = client.get("/leistungen/99036008007002/")
    assert response.status_code == 200
    assert "neu nummeriert" in response.content.decode()


def test_lebenslage_pages(client):
    html = client.get("/lebenslagen/").content.decode()
    assert 'href="/lebenslagen/heirat/"' in html
    page = client.get("/lebenslagen/heirat/")
    assert page.context["services"][0].slug == "eheschliessung-anmelden"


@pytest.mark.parametrize("url", ["/leistungen/gibt-es-nicht/", "/lebenslagen/gibt-es-nicht/"])
def test_unknown_pages_are_404(client, url):
    assert client.get(url).status_code == 404


def test_pages_in_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/leistungen/wohnsitz-anmelden/").content.decode()
    assert "Who is responsible?" in html
