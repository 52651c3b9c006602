"""Issue 11: the audit log is a hash chain; `verbund verify-audit` names any changed,
deleted or inserted entry."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from verbund.core.audit import record_audit
from verbund.core.models import AuditChainHead, AuditEntry

pytestmark = pytest.mark.django_db


def _write(count: int) -> list[AuditEntry]:
    entries = []
    for number in range(count):
        with transaction.atomic():
            entries.append(
                record_audit(
                    action="test.recorded",
                    actor="prüfung",
                    object_type="test.thing",
                    object_id=str(number),
                    after={"wert": number, "text": "Grüße"},
                )
            )
    return entries


def _verify() -> tuple[bool, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify-audit", stdout=out, stderr=err)
    except CommandError as exc:
        return False, err.getvalue() + str(exc)
    return True, out.getvalue()


def test_an_untouched_chain_verifies():
    entries = _write(4)
    assert [e.position for e in entries] == [entries[0].position + i for i in range(4)]
    assert entries[1].previous_hash == entries[0].entry_hash
    ok, report = _verify()
    assert ok, report
    assert "intakt" in report


def test_a_changed_entry_is_named():
    entries = _write(4)
    AuditEntry.objects.filter(pk=entries[2].pk).update(after={"wert": 99, "text": "Grüße"})
    ok, report = _verify()
    assert not ok
    assert f"Eintrag {entries[2].pk} (Position {entries[2].position}) wurde verändert" in report
    assert report.count("changed:") == 1


def test_a_deleted_entry_is_named():
    entries = _write(4)
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    ok, report = _verify()
    assert not ok
    assert f"Kettenposition {entries[1].position} fehlt (gelöscht)" in report
    assert "changed:" not in report


def test_an_inserted_entry_is_named():
    entries = _write(3)
    forged = AuditEntry.objects.create(
        actor_label="eindringling", action="test.recorded", object_type="test.thing"
    )
    ok, report = _verify()
    assert not ok
    assert f"Eintrag {forged.pk} steht außerhalb der Kette" in report
    # and one forged at the end of the chain, with the predecessor's hash
    AuditEntry.objects.filter(pk=forged.pk).delete()
    appended = AuditEntry.objects.create(
        actor_label="eindringling",
        action="test.recorded",
        object_type="test.thing",
        position=entries[-1].position + 1,
        previous_hash=entries[-1].entry_hash,
        entry_hash="0" * 64,
    )
    ok, report = _verify()
    assert not ok
    assert f"Eintrag {appended.pk} (Position {appended.position}) liegt hinter dem Ende" in report


def test_deleting_an_account_keeps_the_chain_intact(citizen_for_chain):
    from verbund.accounts import actions

    with transaction.atomic():
        actions.delete_account(user=citizen_for_chain, actor=citizen_for_chain)
    ok, report = _verify()
    assert ok, report


@pytest.fixture
def citizen_for_chain(db):
    from verbund.accounts import actions
    from verbund.accounts.models import User

    return actions.upsert_account(
        username="kette@example.org",
        email="kette@example.org",
        kind=User.Kind.CITIZEN,
        actor="test",
        password="Sicheres-Passwort-42",
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_get_consecutive_positions():
    before = AuditEntry.objects.count()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            start.wait()
            _write(3)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    positions = sorted(AuditEntry.objects.values_list("position", flat=True))
    assert len(positions) == before + 24
    assert positions == list(range(positions[0], positions[0] + before + 24))
    assert AuditChainHead.objects.get(pk=1).position == positions[-1]
    ok, report = _verify()
    assert ok, report
