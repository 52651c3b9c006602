"""Impressum, Datenschutzerklärung, Erklärung zur Barrierefreiheit and Kontakt (issue 14)."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

OPERATOR = {
    "VERBUND_OPERATOR_NAME": "Landesamt für Beispiele",
    "VERBUND_OPERATOR_ADDRESS": "Beispielweg 3; 99084 Erfurt",
    "VERBUND_OPERATOR_EMAIL": "kontakt@beispiel.example",
    "VERBUND_OPERATOR_PHONE": "0361 123456",
    "VERBUND_OPERATOR_RESPONSIBLE": "Max Beispiel",
}


def test_footer_links_every_legal_page(client):
    html = client.get("/").content.decode()
    footer = html[html.index("<footer") :]
    for href, label in [
        ("/impressum", "Impressum"),
        ("/datenschutz", "Datenschutzerklärung"),
        ("/barrierefreiheit", "Erklärung zur Barrierefreiheit"),
        ("/kontakt", "Kontakt"),
    ]:
        assert f'href="{href}">{label}</a>' in footer


@override_settings(**OPERATOR)
@pytest.mark.parametrize("path", ["/impressum", "/datenschutz", "/barrierefreiheit", "/kontakt"])
def test_legal_pages_show_the_operator_from_the_settings(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert "Landesamt für Beispiele" in html
    assert "Beispielweg 3<br>" in html and "99084 Erfurt<br>" in html
    assert 'href="mailto:kontakt@beispiel.example"' in html


@override_settings(**OPERATOR)
def test_impressum_names_the_responsible_person(client):
    html = client.get("/impressum").content.decode()
    assert "Verantwortlich für den Inhalt" in html and "Max Beispiel" in html
    assert "0361 123456" in html


@override_settings(**OPERATOR)
def test_accessibility_statement_has_feedback_and_schlichtungsstelle(client):
    html = client.get("/barrierefreiheit").content.decode()
    assert 'id="feedback"' in html
    assert 'href="mailto:kontakt@beispiel.example"' in html
    assert "§ 16 Behindertengleichstellungsgesetz" in html
    assert 'href="https://www.schlichtungsstelle-bgg.de"' in html


@override_settings(VERBUND_OPERATOR_NAME="")
def test_missing_operator_is_said_not_hidden(client):
    html = client.get("/impressum").content.decode()
    assert "noch nicht eingetragen" in html


@override_settings(**OPERATOR)
def test_legal_pages_in_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/barrierefreiheit").content.decode()
    assert "Accessibility statement" in html
    assert "Conciliation" in html
    footer = client.get("/").content.decode()
    assert "Legal notice" in footer and "Privacy policy" in footer
