"""The notice that a message waits travels through a real SMTP server (aiosmtpd) and says
nothing about the person or the case."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from django.db import transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from verbund.core import tasks
from verbund.mailbox import actions
from verbund.mailbox.actions import MessageKind

pytestmark = pytest.mark.django_db

SUBJECT = "Rückfrage zur Wohnungsgeberbestätigung"
BODY = "Bitte reichen Sie die Bestätigung von Herrn Vermieter nach."


def post(case):
    return actions.post_message(
        submission=case.submission,
        sender_authority=case.submission.authority,
        kind=MessageKind.RUECKFRAGE,
        subject=SUBJECT,
        body=BODY,
        reply_requested=True,
        actor="system",
    )


def text_of(mail) -> str:
    subject = str(make_header(decode_header(mail["Subject"])))
    return f"{subject}\n{mail.get_payload(decode=True).decode()}"


def assert_no_personal_content(text: str, case) -> None:
    submission = case.submission
    for secret in [
        "Hanna",
        "Beispiel",
        "Muster",  # the name in the submitted form
        SUBJECT,
        "Wohnungsgeber",
        BODY[:20],
        "Vermieter",
        case.number,
        case.secret,
        submission.service.name,
        submission.authority.name,
        "Erfurt",
        str(MessageKind.RUECKFRAGE.label),
    ]:
        assert secret not in text, secret


def test_holder_is_notified_through_smtp_without_personal_content(
    holder, holder_case, smtp_server, settings
):
    settings.VERBUND_PORTAL_URL = "https://portal.example.org/"
    post(holder_case)
    assert smtp_server.messages == []  # not inside the request: the worker sends it
    assert tasks.run_pending() == 1
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail["To"] == holder.email
    text = text_of(mail)
    assert "Neue Nachricht in Ihrem Postfach" in mail["Subject"]
    assert "https://portal.example.org/postfach/" in text
    assert_no_personal_content(text, holder_case)


def test_no_mail_leaves_before_the_commit(holder_case, smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        post(holder_case)
        raise RuntimeError("the change rolls back")
    assert tasks.run_pending() == 0
    assert smtp_server.messages == []


def test_anonymous_applicant_is_notified_only_at_the_address_they_gave(anonymous_case, smtp_server):
    post(anonymous_case)
    tasks.run_pending()
    assert smtp_server.messages == []  # no address given: the Postfach alone holds it
    actions.set_notification_email(
        submission=anonymous_case.submission, email="hinweis@example.org", actor=None
    )
    post(anonymous_case)
    tasks.run_pending()
    (mail,) = smtp_server.messages
    assert mail["To"] == "hinweis@example.org"
    text = text_of(mail)
    assert "/postfach/vorgang/" in text and "Zugangscode" in text
    assert_no_personal_content(text, anonymous_case)


def test_an_unreachable_smtp_server_does_not_lose_the_message(holder_case, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard port, nothing listens
    settings.EMAIL_TIMEOUT = 2
    message = post(holder_case)
    tasks.run_pending()
    assert type(message).objects.filter(pk=message.pk).exists()
    task = DBTaskResult.objects.get(task_path="verbund.integrations.mail.deliver_mail")
    assert task.status == TaskResultStatus.READY  # tried again later
    assert "ConnectionRefusedError" in task.exception_class_path
