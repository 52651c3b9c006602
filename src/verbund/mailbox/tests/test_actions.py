"""The public interface casework builds on: post, read, reply, thread, callbacks."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from verbund.applications.tests.conftest import PDF, PNG
from verbund.authorities import queries as authority_queries
from verbund.core.errors import InvalidInput, NotFound
from verbund.core.models import AuditEntry
from verbund.mailbox import actions, extensions, queries
from verbund.mailbox.actions import MessageKind, OutgoingAttachment
from verbund.mailbox.models import Message, MessageAttachment, Reply, ReplyAttachment
from verbund.mailbox.tests.conftest import make_citizen

pytestmark = pytest.mark.django_db

BESCHEID = PDF + b"% Bescheid ueber die Anmeldung\n"


def post(case, *, clerk="system", **overrides):
    fields = {
        "submission": case.submission,
        "sender_authority": case.submission.authority,
        "kind": MessageKind.RUECKFRAGE,
        "subject": "Wohnungsgeberbestätigung unleserlich",
        "body": "Bitte senden Sie die Bestätigung erneut.",
        "reply_requested": True,
        "actor": clerk,
    }
    return actions.post_message(**{**fields, **overrides})


def raw_column(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return cursor.fetchone()[0]


def test_message_reaches_the_account_holder_encrypted_at_rest(holder, holder_case, clerk):
    # when
    message = post(
        holder_case,
        clerk=clerk,
        kind=MessageKind.BESCHEID,
        subject="Ihr Bescheid zur Ummeldung",
        attachments=[OutgoingAttachment("bescheid.pdf", "application/pdf", BESCHEID)],
    )
    # then: in the holder's Postfach, not readable in the database
    assert list(queries.messages_for_holder(holder)) == [message]
    assert message.recipient == holder and message.sent_by == clerk and not message.is_read
    assert "Ummeldung" not in raw_column("mailbox_message", "subject", message.pk)
    assert "Bestätigung" not in raw_column("mailbox_message", "body", message.pk)
    (stored,) = MessageAttachment.objects.filter(message=message)
    assert stored.filename == "bescheid.pdf" and stored.media_type == "application/pdf"
    with queries.attachment_storage().open(stored.storage_name, "rb") as fh:
        assert b"Bescheid" not in fh.read()
    assert queries.read_attachment(stored) == BESCHEID
    audit = AuditEntry.objects.get(action="mailbox.message_posted", object_id=str(message.pk))
    assert audit.actor_id == clerk.pk and "Ummeldung" not in json.dumps(audit.details)
    assert "Ummeldung" not in audit.object_repr


def test_message_to_an_anonymous_applicant_lies_in_the_case_postfach(anonymous_case):
    message = post(anonymous_case)
    assert message.recipient_id is None
    listed = queries.messages_for_anonymous(anonymous_case.number, anonymous_case.secret)
    assert list(listed) == [message]
    # the number is not case-sensitive for people typing it from a letter
    assert (
        queries.get_message_for_anonymous_or_404(
            anonymous_case.number.lower(), anonymous_case.secret, message.pk
        )
        == message
    )


def test_wrong_secret_or_account_case_gives_no_anonymous_access(anonymous_case, holder_case):
    post(anonymous_case)
    post(holder_case)
    for number, secret in [
        (anonymous_case.number, "falsch"),
        (anonymous_case.number, ""),
        (anonymous_case.number, holder_case.secret),
        ("VB-2026-0000-0000", anonymous_case.secret),
        # an account holder's messages stay in the account, even with the right code
        (holder_case.number, holder_case.secret),
    ]:
        with pytest.raises(NotFound):
            queries.messages_for_anonymous(number, secret)


def test_another_holder_cannot_reach_the_message(holder_case):
    message = post(holder_case)
    other = make_citizen("otto.anders@example.org", "Otto", "Anders")
    assert not queries.messages_for_holder(other).exists()
    with pytest.raises(NotFound):
        queries.get_message_for_holder_or_404(other, message.pk)
    with pytest.raises(NotFound):
        queries.get_message_for_holder_or_404(other, "kein-uuid")


def test_incomplete_message_is_refused_with_field_errors(holder_case):
    with pytest.raises(InvalidInput) as refused:
        post(holder_case, subject=" ", body="")
    assert set(refused.value.extra["errors"]) == {"subject", "body"}
    with pytest.raises(InvalidInput):
        post(holder_case, kind="mahnung")
    with pytest.raises(InvalidInput) as refused:
        post(
            holder_case,
            attachments=[OutgoingAttachment("x.pdf", "application/pdf", b"MZ\x90\x00 no pdf")],
        )
    assert "keine erlaubte Datei" in refused.value.message
    assert not Message.objects.exists()


def test_read_receipt_records_the_first_read_only(holder, holder_case):
    message = post(holder_case)
    actions.mark_read(message=message, reader=holder)
    first = Message.objects.get(pk=message.pk).read_at
    assert first is not None
    actions.mark_read(message=Message.objects.get(pk=message.pk), reader=holder)
    assert Message.objects.get(pk=message.pk).read_at == first
    assert AuditEntry.objects.filter(action="mailbox.message_read").count() == 1


def test_reply_is_sealed_to_the_authority_key(holder, holder_case, clerk):
    # given
    message = post(holder_case)
    photo = PNG + b"Ausweis"
    # when
    reply = actions.reply_to_message(
        message=message,
        body="Anbei die Bestätigung, Hanna Beispiel",
        attachments=[
            SimpleUploadedFile("bestaetigung.pdf", PDF),
            SimpleUploadedFile("foto.png", photo),
        ],
        actor_or_none=holder,
    )
    # then: the platform stores only JWE for the authority's key ...
    assert reply.key.authority_id == holder_case.submission.authority_id
    assert "Hanna" not in reply.encrypted_content and reply.encrypted_content.count(".") == 4
    for attachment in ReplyAttachment.objects.filter(reply=reply):
        with queries.attachment_storage().open(attachment.storage_name, "rb") as fh:
            token = fh.read()
        assert b"%PDF" not in token and b"Ausweis" not in token
    # ... which the authority's private key opens
    private = authority_queries.private_key_for_staff(clerk, reply.key)
    opened = queries.open_reply(reply, private)
    assert opened.body == "Anbei die Bestätigung, Hanna Beispiel"
    files = {a.filename: a for a in opened.attachments}
    assert files["bestaetigung.pdf"].content == PDF
    assert files["foto.png"].content == photo and files["foto.png"].media_type == "image/png"
    # and the thread of the case holds message and reply in order
    assert queries.thread_for_case(holder_case.submission) == [message, reply]


def test_anonymous_reply_is_bound_to_the_case(anonymous_case):
    message = post(anonymous_case)
    reply = actions.reply_to_message(message=message, body="Erledigt.", actor_or_none=None)
    assert reply.author_id is None and reply.submission == anonymous_case.submission
    assert AuditEntry.objects.get(action="mailbox.reply_received").actor_label.startswith("anonym")


def test_bad_upload_is_refused_in_german_and_nothing_is_stored(holder, holder_case, settings):
    message = post(holder_case)
    settings.VERBUND_ATTACHMENT_MAX_BYTES = 1000
    for upload, expected in [
        (SimpleUploadedFile("script.pdf", b"#!/bin/sh\nrm -rf /\n"), "keine erlaubte Datei"),
        (SimpleUploadedFile("leer.pdf", b""), "ist leer"),
        (SimpleUploadedFile("gross.pdf", PDF + b"0" * 2000), "größer als"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            actions.reply_to_message(
                message=message,
                body="Anbei",
                attachments=[SimpleUploadedFile("gut.pdf", PDF), upload],
                actor_or_none=holder,
            )
        assert expected in " ".join(refused.value.extra["errors"]["attachments"])
    with pytest.raises(InvalidInput) as refused:
        actions.reply_to_message(message=message, body=" ", actor_or_none=holder)
    assert "body" in refused.value.extra["errors"]
    assert not Reply.objects.exists() and not ReplyAttachment.objects.exists()
    storage = queries.attachment_storage()
    assert not storage.exists("mailbox/replies") or not storage.listdir("mailbox/replies")[0]


def test_on_reply_callbacks_run_in_the_transaction(holder, holder_case):
    message = post(holder_case)
    seen = []

    def move_case_on(reply):
        seen.append((reply.pk, Reply.objects.filter(pk=reply.pk).exists()))

    def refuse(reply):
        raise RuntimeError("casework refused")

    extensions.on_reply(move_case_on)
    extensions.on_reply(move_case_on)  # registering twice changes nothing
    try:
        reply = actions.reply_to_message(message=message, body="Hier.", actor_or_none=holder)
        assert seen == [(reply.pk, True)]
        extensions.on_reply(refuse)
        with pytest.raises(RuntimeError):
            actions.reply_to_message(message=message, body="Noch eine.", actor_or_none=holder)
    finally:
        extensions.remove_reply_callback(move_case_on)
        extensions.remove_reply_callback(refuse)
    # the refused reply rolled back with everything it wrote
    assert Reply.objects.count() == 1


def test_deleting_a_case_postfach_removes_rows_and_files(
    holder, holder_case, django_capture_on_commit_callbacks
):
    message = post(
        holder_case, attachments=[OutgoingAttachment("b.pdf", "application/pdf", BESCHEID)]
    )
    reply = actions.reply_to_message(
        message=message,
        body="Anbei.",
        attachments=[SimpleUploadedFile("n.pdf", PDF)],
        actor_or_none=holder,
    )
    names = [message.attachments.get().storage_name, reply.attachments.get().storage_name]
    storage = queries.attachment_storage()
    assert all(storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.delete_postfach_of_case(submission=holder_case.submission, actor="test") == 1
    assert not Message.objects.exists() and not Reply.objects.exists()
    assert not any(storage.exists(name) for name in names)


def test_reply_files_pass_the_virus_scanner(holder, holder_case, settings, clamd_address):
    from verbund.applications.tests.conftest import TEST_SIGNATURE

    message = post(holder_case)
    settings.VERBUND_CLAMD = clamd_address
    with pytest.raises(InvalidInput) as refused:
        actions.reply_to_message(
            message=message,
            body="Anbei.",
            attachments=[SimpleUploadedFile("befall.pdf", PDF + TEST_SIGNATURE)],
            actor_or_none=holder,
        )
    assert "Schadsoftware" in refused.value.extra["errors"]["attachments"][0]
    assert not Reply.objects.exists()
    reply = actions.reply_to_message(
        message=message,
        body="Anbei.",
        attachments=[SimpleUploadedFile("sauber.pdf", PDF)],
        actor_or_none=holder,
    )
    assert reply.attachments.get().scan_status == "clean"


def test_oversized_upload_is_refused_without_reading_it_whole(holder, holder_case, settings):
    message = post(holder_case)
    settings.VERBUND_ATTACHMENT_MAX_BYTES = 100
    upload = SimpleUploadedFile("riesig.pdf", PDF + b"0" * 10_000)
    with pytest.raises(InvalidInput) as refused:
        actions.reply_to_message(
            message=message, body="x", attachments=[upload], actor_or_none=holder
        )
    assert "größer als" in refused.value.extra["errors"]["attachments"][0]
    assert upload.tell() == 101


def test_after_account_deletion_the_messages_wait_in_the_case_postfach(holder, holder_case):
    from verbund.accounts import actions as account_actions

    message = post(holder_case)
    account_actions.delete_account(user=holder, actor=holder)
    # the authority's thread stays whole; the applicant still holds number and code
    assert queries.thread_for_case(holder_case.submission) == [Message.objects.get()]
    listed = queries.messages_for_anonymous(holder_case.number, holder_case.secret)
    assert [m.pk for m in listed] == [message.pk]
