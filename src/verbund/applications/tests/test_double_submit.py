"""A double click on "Antrag absenden": 20 parallel posts of the same summary against a
real threaded server give one submission, and every one of them the receipt (issue 11,
finding 11)."""

from __future__ import annotations

import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.management import call_command

from verbund.applications.models import Submission
from verbund.applications.tests.factories import fill_wohnsitz, start
from verbund.casework.models import Case


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_submits_of_one_draft_all_get_the_receipt_of_one_case(client, live_server):
    call_command("load-demo", stdout=io.StringIO())  # transactional tests start empty
    summary = fill_wohnsitz(client, start(client))
    cases_before = Case.objects.count()
    browser = requests.Session()
    browser.cookies.set("sessionid", client.cookies["sessionid"].value)
    page = browser.get(live_server.url + summary, timeout=30)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    def submit(_: int) -> requests.Response:
        return browser.post(
            live_server.url + summary,
            data={"csrfmiddlewaretoken": token, "consent": "on"},
            headers={"Referer": live_server.url + summary},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(submit, range(20)))

    assert [a.status_code for a in answers] == [200] * 20, [
        (a.status_code, a.url, [r.url for r in a.history]) for a in answers if a.status_code != 200
    ] or [(a.status_code, a.url) for a in answers]
    assert len({a.url for a in answers}) == 1 and "/vorgang/" in answers[0].url
    assert all("Ihr Antrag ist eingegangen" in a.text for a in answers)
    draft_id = summary.split("/")[2]
    (submission,) = Submission.objects.filter(source_draft_id=draft_id)
    assert answers[0].url.endswith(f"/vorgang/{submission.vorgangsnummer}/")
    assert Case.objects.count() == cases_before + 1
