"""Prepared reads give what their QuerySet gives, and keep the QuerySet's guarantees."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from verbund.core.models import AuditEntry, WorkerHeartbeat
from verbund.core.prepared import Prepared

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
        got = Prepared(_joined, param=ACTION).instance("test.prepared")
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
        param=ACTION,
    )
    assert details.row("test.first") == ("test.first", {"a": 1})
    with django_assert_num_queries(1):
        assert details.row("test.second") == ("test.second", {"b": 2})
    assert details.row("test.none") is None
    assert Prepared(_joined, param=ACTION).instance("test.none") is None


def test_a_locking_read_outside_a_transaction_is_refused_as_by_django(monkeypatch):
    WorkerHeartbeat.objects.create(worker_id="w-1", seen_at=timezone.now())
    locked = Prepared(
        lambda worker: WorkerHeartbeat.objects.select_for_update().filter(worker_id=worker),
        param=WorkerHeartbeat._meta.pk,
    )
    with transaction.atomic():
        heartbeat = locked.instance("w-1")
        assert heartbeat is not None and heartbeat.worker_id == "w-1"
    # The test runs inside a transaction: outside one, Django's check refuses the lock.
    monkeypatch.setattr(connection, "get_autocommit", lambda: True)
    with pytest.raises(TransactionManagementError):
        locked.instance("w-1")


def test_a_parameter_the_query_does_not_use_is_refused():
    constant = Prepared(lambda action: AuditEntry.objects.filter(action="fixed"), param=ACTION)
    with pytest.raises(ValueError, match="0 times"):
        constant.instance("anything")
