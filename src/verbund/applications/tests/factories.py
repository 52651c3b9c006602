"""Helpers that fill the shipped forms through the HTML path, as a person would."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from verbund.applications.tests.conftest import PDF


def start(client, slug="wohnsitz-anmelden", **place):
    place = place or {"ags": "16051000"}
    response = client.post(f"/leistungen/{slug}/antrag/", {**place, "begin": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def fill_wohnsitz(client, step_url, *, attachment=PDF, filename="wgb.pdf"):
    """Walk the Wohnsitz form to the summary; returns the summary URL."""
    base = step_url.rsplit("/schritt/", 1)[0]
    today = datetime.date.today()
    pages = [
        {
            "f-strasse": "Anger",
            "f-hausnummer": "1",
            "f-plz": "99084",
            "f-einzugsdatum": today.isoformat(),
            "f-wohnungsart": "alleinige",
        },
        {
            "f-bisher_strasse": "Hauptstraße 5",
            "f-bisher_plz": "07743",
            "f-bisher_ort": "Jena",
            "f-bisher_beibehalten": "false",
        },
        {
            "n-f-personen": "1",
            "f-personen-0-familienname": "Muster",
            "f-personen-0-vornamen": "Erika",
            "f-personen-0-geburtsdatum": "1985-03-01",
            "f-personen-0-geschlecht": "w",
            "f-personen-0-verheiratet": "false",
        },
        {
            "f-wohnungsgeberbestaetigung": SimpleUploadedFile(filename, attachment),
            "f-kontakt_email": "erika@example.org",
        },
    ]
    for number, data in enumerate(pages, start=1):
        response = client.post(f"{base}/schritt/{number}/", {**data, "action": "next"})
        assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"].endswith("/zusammenfassung/")
    return response["Location"]
