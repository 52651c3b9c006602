"""Metering reproduces a past month from the records' timestamps: records placed in a month
are counted as an independent count over the rows says, and metering again gives the same
rows."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from verbund.applications.models import Submission, SubmissionAttachment
from verbund.authorities.models import StaffMembership
from verbund.core.models import AuditEntry
from verbund.costs import actions, rules, tasks
from verbund.costs.models import Usage
from verbund.einvoices.models import Invoice
from verbund.mailbox.models import Message, MessageAttachment
from verbund.opendata.models import Dataset, DatasetStatus, Distribution

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2025, 3, 1)
ZONE = timezone.get_default_timezone()


def _local(day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2025, 3, day, hour, tzinfo=ZONE)


def _in_month(value: datetime.datetime | None) -> bool:
    return value is not None and value.astimezone(ZONE).date().replace(day=1) == MONTH


def _before_end(value: datetime.datetime | None) -> bool:
    return value is not None and value.astimezone(ZONE).date() < datetime.date(2025, 4, 1)


@pytest.fixture
def march_records(own, foreign, admin):
    """Move some of the demo's records into March 2025, two of them to its edges in local
    time (the first minute of the month, and 23:59 on its last day; 1 April 00:30 local is
    still 31 March in UTC and must not count)."""
    submissions = list(Submission.objects.filter(submitted_at__isnull=False).order_by("pk")[:3])
    Submission.objects.filter(pk=submissions[0].pk).update(
        authority=own, submitted_at=datetime.datetime(2025, 3, 1, 0, 0, tzinfo=ZONE)
    )
    Submission.objects.filter(pk=submissions[1].pk).update(
        authority=own, submitted_at=datetime.datetime(2025, 3, 31, 23, 59, tzinfo=ZONE)
    )
    Submission.objects.filter(pk=submissions[2].pk).update(
        authority=foreign, submitted_at=datetime.datetime(2025, 4, 1, 0, 30, tzinfo=ZONE)
    )
    invoices = list(Invoice.objects.filter(authority__isnull=False).order_by("pk")[:2])
    for index, invoice in enumerate(invoices):
        Invoice.objects.filter(pk=invoice.pk).update(received_at=_local(3 + index), authority=own)
    messages = list(Message.objects.order_by("pk")[:2])
    for index, message in enumerate(messages):
        Message.objects.filter(pk=message.pk).update(sent_at=_local(7 + index))
    datasets = list(Dataset.objects.order_by("pk")[:2])
    for dataset in datasets:
        Dataset.objects.filter(pk=dataset.pk).update(
            status=DatasetStatus.PUBLISHED, issued=_local(12), authority=foreign
        )
    entry = AuditEntry.objects.order_by("pk").first()
    assert entry is not None
    AuditEntry.objects.filter(pk=entry.pk).update(actor=admin, at=_local(15))
    return {"submissions": submissions, "invoices": invoices, "messages": messages}


def _independent_count() -> dict[tuple[int, str, str], int]:
    """The month's figures counted row by row in Python, not by the metering's queries."""
    figures: dict[tuple[int, str, str], int] = {}

    def add(authority_id, component, detail="", n=1):
        if authority_id is None or not n:
            return
        key = (authority_id, component, detail)
        figures[key] = figures.get(key, 0) + n

    for s in Submission.objects.select_related("service"):
        if s.authority_id and _in_month(s.submitted_at):
            add(s.authority_id, rules.APPLICATIONS, s.service.slug)
    for i in Invoice.objects.all():
        if _in_month(i.received_at):
            add(i.authority_id, rules.INVOICES)
    for m in Message.objects.all():
        if _in_month(m.sent_at):
            add(m.sender_authority_id, rules.POSTFACH)
    for d in Dataset.objects.all():
        if d.status == DatasetStatus.PUBLISHED and _in_month(d.issued):
            add(d.authority_id, rules.DATASETS)
    active = {e.actor_id for e in AuditEntry.objects.all() if e.actor_id and _in_month(e.at)}
    pairs = {
        (m.authority_id, m.user_id) for m in StaffMembership.objects.all() if m.user_id in active
    }
    for authority_id, _user in pairs:
        add(authority_id, rules.BACKOFFICE_USERS)
    storage: dict[int, int] = {}
    for a in SubmissionAttachment.objects.select_related("submission"):
        if a.submission.authority_id and _before_end(a.submission.submitted_at):
            storage[a.submission.authority_id] = storage.get(a.submission.authority_id, 0) + a.size
    for i in Invoice.objects.all():
        if i.authority_id and _before_end(i.received_at):
            storage[i.authority_id] = storage.get(i.authority_id, 0) + i.size
    for ma in MessageAttachment.objects.select_related("message"):
        if _before_end(ma.message.sent_at):
            sender = ma.message.sender_authority_id
            storage[sender] = storage.get(sender, 0) + ma.size
    for dist in Distribution.objects.select_related("dataset"):
        if dist.storage_name and _before_end(dist.created_at):
            owner = dist.dataset.authority_id
            storage[owner] = storage.get(owner, 0) + (dist.byte_size or 0)
    for authority_id, size in storage.items():
        add(authority_id, rules.STORAGE, n=size)
    return figures


def _rows() -> dict[tuple[int, str, str], tuple[int, int]]:
    return {
        (u.authority_id, u.component, u.detail): (u.pk, u.quantity)
        for u in Usage.objects.filter(month=MONTH)
    }


def test_metering_reproduces_a_past_month(march_records, own, foreign, admin):
    # when
    actions.meter_month(month=MONTH, actor="test")
    # then the rows equal the independent count
    rows = _rows()
    assert {key: quantity for key, (_pk, quantity) in rows.items()} == _independent_count()
    # and the edges of the month are right: Gera's two applications count, Suhl's of
    # 1 April 00:30 local does not
    gera = sum(
        q for (a, c, _d), (_pk, q) in rows.items() if a == own.pk and c == rules.APPLICATIONS
    )
    assert gera >= 2
    assert rows[(own.pk, rules.INVOICES, "")][1] >= 2
    assert rows[(own.pk, rules.BACKOFFICE_USERS, "")][1] >= 1
    assert rows[(foreign.pk, rules.DATASETS, "")][1] >= 2
    assert not any(a == foreign.pk and c == rules.APPLICATIONS for (a, c, _d) in rows)


def test_metering_again_changes_nothing(march_records):
    actions.meter_month(month=MONTH, actor="test")
    first = _rows()
    # when the command and the task meter the same month again
    call_command("meter", "--monat", "2025-03", stdout=__import__("io").StringIO())
    tasks.meter_month.call(month="2025-03")
    # then the same rows (the same primary keys, the same quantities)
    assert _rows() == first


def test_a_record_that_leaves_the_month_leaves_its_row(march_records, own):
    actions.meter_month(month=MONTH, actor="test")
    invoices = march_records["invoices"]
    Invoice.objects.filter(pk__in=[i.pk for i in invoices]).update(
        received_at=_local(3).replace(year=2024)
    )
    actions.meter_month(month=MONTH, actor="test")
    assert (own.pk, rules.INVOICES, "") not in _rows()
    assert _rows() == {k: v for k, v in _rows().items()}
    assert {key: q for key, (_pk, q) in _rows().items()} == _independent_count()


def test_the_command_refuses_a_bad_month():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("meter", "--monat", "2025-13")


def test_the_timer_enqueues_the_previous_month():
    assert tasks.enqueue_previous_month(datetime.date(2026, 1, 15)) == "2025-12"
