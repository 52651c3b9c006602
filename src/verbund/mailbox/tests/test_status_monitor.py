"""The status monitor on the account page: every application with state and history."""

from __future__ import annotations

import pytest

from verbund.applications import actions as application_actions
from verbund.mailbox import actions, queries
from verbund.mailbox.actions import MessageKind
from verbund.mailbox.tests.conftest import submit_case

pytestmark = pytest.mark.django_db


def test_account_page_lists_every_application_with_its_history(holder, holder_client, holder_case):
    # given: a second application, and the first moves on with a Rückfrage
    second = submit_case(holder_client)
    submission = holder_case.submission
    application_actions.set_submission_status(
        submission=submission, status="in_progress", actor="test"
    )
    application_actions.set_submission_status(
        submission=submission, status="information_needed", actor="test"
    )
    message = actions.post_message(
        submission=submission,
        sender_authority=submission.authority,
        kind=MessageKind.RUECKFRAGE,
        subject="Nachweis fehlt",
        body="Bitte nachreichen.",
        actor="test",
    )
    actions.reply_to_message(message=message, body="Anbei.", actor_or_none=holder)
    # when
    html = holder_client.get("/konto/").content.decode()
    # then
    assert "Meine Anträge und Postfach" in html and "Persönliche Angaben" in html
    assert f'data-case="{holder_case.number}"' in html and f'data-case="{second.number}"' in html
    # the answered Rückfrage moved the case back to in Bearbeitung (casework's on_reply)
    assert 'data-current-status="in_progress"' in html
    assert 'data-current-status="received"' in html
    section = html.split(f'data-case="{holder_case.number}"')[1].split("</article>")[0]
    for label in [
        "Antrag eingereicht",
        "Status: in Bearbeitung",
        "Status: Rückfrage: weitere Angaben nötig",
        "Nachricht der Behörde: Rückfrage",
        "Ihre Antwort an die Behörde",
        "1 ungelesene Nachricht",
    ]:
        assert label in section, label
    # the subject (message content) is not on the account page, only in the Postfach
    assert "Nachweis fehlt" not in html
    cases = queries.status_monitor_for(holder)
    first = next(c for c in cases if c.submission == submission)
    assert [h.label for h in first.history][-1] == "Antrag eingereicht"  # newest first
    assert first.unread == 1


def test_status_monitor_is_empty_for_a_new_holder(holder_client):
    html = holder_client.get("/konto/").content.decode()
    assert "Sie haben noch keine Anträge gestellt." in html


def test_export_carries_the_postfach(holder, holder_client, holder_case):
    actions.post_message(
        submission=holder_case.submission,
        sender_authority=holder_case.submission.authority,
        kind=MessageKind.INFO,
        subject="Hinweis",
        body="Ihre Unterlagen sind vollständig.",
        actor="test",
    )
    data = holder_client.get("/konto/export/").json()
    (entry,) = data["mailbox"]
    assert entry["subject"] == "Hinweis" and entry["vorgangsnummer"] == holder_case.number
