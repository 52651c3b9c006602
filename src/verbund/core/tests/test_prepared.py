"""Prepared statements do what their QuerySet does, and keep the QuerySet's guarantees."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Subquery, Value
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from verbund.core.models import AuditEntry, WorkerHeartbeat
from verbund.core.prepared import Prepared, PreparedInsert, PreparedUpdate

pytestmark = pytest.mark.django_db

ACTION = AuditEntry._meta.get_field("action")


def _entry(action: str, **fields):  # type: ignore[no-untyped-def]
    return AuditEntry.objects.create(
        actor_label="x", action=action, object_type="t", object_id="1", **fields
    )


def _joined(action: str):  # type: ignore[no-untyped-def]
    return (
        AuditEntry.objects.select_related("actor")
        .only("id", "action", "details", "at", "actor__id", "actor__username")
        .annotate(twice=F("id") * 2)
        .filter(action=action)
        .order_by()
    )


def test_an_instance_has_its_related_object_deferred_fields_and_annotations(
    django_assert_num_queries,
):
    user = get_user_model().objects.create_user(username="prepared", password="x" * 20)
    entry = _entry("test.prepared", actor=user, details={"n": [1, "zwei"]})
    expected = _joined("test.prepared").get()

    with django_assert_num_queries(1):  # the actor comes from the join
        got = Prepared(_joined, params=[ACTION]).instance("test.prepared")
        assert got is not None and got.actor.username == "prepared"

    assert got.pk == entry.pk and got.twice == 2 * entry.pk
    assert got.details == {"n": [1, "zwei"]}  # the JSON column converted
    assert got.at == expected.at and got.at.tzinfo is not None
    assert got.get_deferred_fields() == expected.get_deferred_fields()
    assert "actor_label" in got.get_deferred_fields()
    assert not got._state.adding and got._state.db == "default"


def test_later_calls_only_execute_and_each_takes_its_own_value(django_assert_num_queries):
    _entry("test.first", details={"a": 1})
    _entry("test.second", details={"b": 2})
    details = Prepared(
        lambda action: (
            AuditEntry.objects.filter(action=action).order_by().values_list("action", "details")
        ),
        params=[ACTION],
    )
    assert details.row("test.first") == ("test.first", {"a": 1})
    with django_assert_num_queries(1):
        assert details.row("test.second") == ("test.second", {"b": 2})
    assert details.row("test.none") is None
    assert Prepared(_joined, params=[ACTION]).instance("test.none") is None


def test_a_locking_read_outside_a_transaction_is_refused_as_by_django(monkeypatch):
    WorkerHeartbeat.objects.create(worker_id="w-1", seen_at=timezone.now())
    locked = Prepared(
        lambda worker: WorkerHeartbeat.objects.select_for_update().filter(worker_id=worker),
        params=[WorkerHeartbeat._meta.pk],
    )
    with transaction.atomic():
        heartbeat = locked.instance("w-1")
        assert heartbeat is not None and heartbeat.worker_id == "w-1"
    # The test runs inside a transaction: outside one, Django's check refuses the lock.
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)
    with pytest.raises(TransactionManagementError):
        locked.instance("w-1")


def test_a_parameter_the_query_does_not_use_is_refused():
    constant = Prepared(lambda action: AuditEntry.objects.filter(action="fixed"), params=[ACTION])
    with pytest.raises(ValueError, match="0 times"):
        constant.instance("anything")


def test_an_update_changes_what_the_queryset_update_changes():
    seen = timezone.now()
    for worker in ("w-1", "w-2"):
        WorkerHeartbeat.objects.create(worker_id=worker, queues="default", seen_at=seen)
    touch = PreparedUpdate(
        lambda worker, queues: WorkerHeartbeat.objects.filter(pk=worker, queues=queues),
        params=[WorkerHeartbeat._meta.pk, WorkerHeartbeat._meta.get_field("queues")],
        fields=["queues", "seen_at"],
    )
    later = seen + datetime.timedelta(minutes=5)

    assert touch.update({"queues": "mail", "seen_at": later}, "w-1", "default") == 1
    assert touch.update({"queues": "mail", "seen_at": later}, "w-2", "other") == 0

    assert WorkerHeartbeat.objects.get(pk="w-1").seen_at == later
    assert WorkerHeartbeat.objects.get(pk="w-1").queues == "mail"
    assert WorkerHeartbeat.objects.get(pk="w-2").queues == "default"  # its filter did not match
    with pytest.raises(ValueError, match="other fields"):
        touch.update({"queues": "mail"}, "w-1", "mail")


def test_an_insert_stores_what_bulk_create_stores_and_returns_the_keys():
    user = get_user_model().objects.create_user(username="inserting", password="x" * 20)
    insert = PreparedInsert(AuditEntry)
    one = AuditEntry(actor=user, actor_label="a", action="test.insert", details={"n": 1.5})
    two = AuditEntry(actor_label="b", action="test.insert", details={"list": [1, "x"]})
    three = AuditEntry(actor_label="c", action="test.insert")

    insert.insert([one, two])
    insert.insert([three])  # another row count: its own statement

    assert one.pk and two.pk and three.pk and len({one.pk, two.pk, three.pk}) == 3
    assert not one._state.adding and one._state.db == "default"
    stored = {e.pk: e for e in AuditEntry.objects.filter(action="test.insert")}
    assert stored[one.pk].actor_id == user.pk and stored[one.pk].details == {"n": 1.5}
    assert stored[two.pk].details == {"list": [1, "x"]} and stored[two.pk].actor_id is None
    assert stored[three.pk].at == three.at  # the default, given before the insert


def test_an_insert_with_a_client_side_primary_key_and_a_duplicate():
    seen = timezone.now()
    insert = PreparedInsert(WorkerHeartbeat)
    insert.insert([WorkerHeartbeat(worker_id="w-9", seen_at=seen)])
    assert WorkerHeartbeat.objects.get(pk="w-9").seen_at == seen
    with pytest.raises(IntegrityError), transaction.atomic():
        insert.insert([WorkerHeartbeat(worker_id="w-9", seen_at=seen)])


def test_an_expression_is_refused_before_anything_is_written():
    insert = PreparedInsert(AuditEntry)
    entry = AuditEntry(actor_label="a", action="test.expression", object_id=Value("1"))
    with pytest.raises(ValueError, match="expression"):
        insert.insert([entry])
    assert not AuditEntry.objects.filter(action="test.expression").exists()


def _worker_of(worker):  # type: ignore[no-untyped-def]
    return WorkerHeartbeat.objects.filter(worker_id=worker).values("queues")[:1]


def test_a_computed_value_comes_from_its_subquery_for_each_call(django_assert_num_queries):
    seen = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w-1", queues="mail", seen_at=seen)
    WorkerHeartbeat.objects.create(worker_id="w-2", queues="default", seen_at=seen)
    insert = PreparedInsert(
        AuditEntry,
        computed={
            "object_id": (lambda worker: Subquery(_worker_of(worker)), [WorkerHeartbeat._meta.pk])
        },
    )
    first = AuditEntry(actor_label="a", action="test.computed", object_type="t")
    second = AuditEntry(actor_label="b", action="test.computed", object_type="t")

    insert.insert([first], computed={"object_id": ("w-1",)})
    with django_assert_num_queries(1):  # compiled once: the second call only executes
        insert.insert([second], computed={"object_id": ("w-2",)})

    assert AuditEntry.objects.get(pk=first.pk).object_id == "mail"
    assert AuditEntry.objects.get(pk=second.pk).object_id == "default"
    assert AuditEntry.objects.get(pk=second.pk).actor_label == "b"  # the plain values in place
    # the compiled statement keeps no row's values, only the subquery's constants
    (kept,) = insert._compiled.values()
    assert "a" not in kept.params and "b" not in kept.params and "test.computed" not in kept.params
    # a subquery without a row gives NULL, which the column refuses: nothing is written
    with pytest.raises(IntegrityError), transaction.atomic():
        insert.insert(
            [AuditEntry(actor_label="c", action="test.computed", object_type="t")],
            computed={"object_id": ("w-none",)},
        )
    assert AuditEntry.objects.filter(action="test.computed").count() == 2
    with pytest.raises(ValueError, match="computed values"):
        insert.insert([AuditEntry(actor_label="d", action="test.computed")])
    with pytest.raises(ValueError, match="one row"):
        insert.insert(
            [AuditEntry(actor_label="e"), AuditEntry(actor_label="f")],
            computed={"object_id": ("w-1",)},
        )


def test_an_insert_that_ignores_conflicts_tells_whether_it_wrote():
    seen = timezone.now()
    insert = PreparedInsert(WorkerHeartbeat, ignore_conflicts=True)
    assert insert.insert([WorkerHeartbeat(worker_id="w-5", queues="a", seen_at=seen)]) == 1
    assert insert.insert([WorkerHeartbeat(worker_id="w-5", queues="b", seen_at=seen)]) == 0
    assert WorkerHeartbeat.objects.get(pk="w-5").queues == "a"  # the first row stays
    rows = [WorkerHeartbeat(worker_id=w, queues="c", seen_at=seen) for w in ("w-5", "w-6")]
    assert insert.insert(rows) == 1  # several rows: only the new one
    assert WorkerHeartbeat.objects.get(pk="w-6").queues == "c"
