"""The inbox: filters, search by Vorgangsnummer and by name (blind index), keyset pages,
overdue highlighted, service areas."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from verbund.authorities.models import StaffMembership
from verbund.casework import actions, queries, rules
from verbund.casework.models import Case
from verbund.casework.tests.factories import submit_hundesteuer
from verbund.core.errors import NotFound

pytestmark = pytest.mark.django_db


def test_keyset_pages_cover_every_open_case_once(own, staff):
    for i in range(5):
        submit_hundesteuer(family=f"Seite{i}")
    membership = queries.membership_or_404(staff["clerk"], own.slug)
    total = queries.cases_of(membership).filter(status__in=rules.OPEN).count()
    seen, cursor = [], ""
    while True:
        page = queries.inbox_page(membership, queries.InboxFilter(), cursor=cursor, size=2)
        seen.extend(s.pk for s in page.rows)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(seen) == total == len(set(seen))


def test_filters_and_search(own, staff):
    clerk = staff["clerk"]
    müller = submit_hundesteuer(family="Müller-Lüdenscheidt", given="Jörg")
    other = submit_hundesteuer(family="Schmidt")
    actions.take_case(case=other, actor=clerk)
    Case.objects.filter(pk=müller.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=1)
    )
    membership = queries.membership_or_404(clerk, own.slug)

    def found(**filters):
        rows = queries.inbox_page(membership, queries.InboxFilter(**filters), size=100).rows
        return {s.pk for s in rows}

    assert müller.pk in found(q="mueller") and other.pk not in found(q="mueller")
    assert müller.pk in found(q="Jörg Müller")
    assert found(q=müller.submission.vorgangsnummer) == {müller.pk}
    assert müller.pk in found(deadline="overdue") and other.pk not in found(deadline="overdue")
    assert found(assignee="me") >= {other.pk} and müller.pk not in found(assignee="me")
    assert other.pk in found(status="in_progress") and müller.pk not in found(status="in_progress")


def test_inbox_page_highlights_overdue_cases(client, own, staff, login_staff):
    case = submit_hundesteuer(family="Spät")
    Case.objects.filter(pk=case.pk).update(
        deadline=timezone.localdate() - datetime.timedelta(days=2)
    )
    login_staff(client, staff["clerk"])
    html = client.get(f"/sachbearbeitung/{own.slug}/?q={case.submission.vorgangsnummer}")
    assert html.status_code == 200
    assert 'class="verbund-overdue"' in html.content.decode()


def test_service_areas_limit_what_a_clerk_sees(own, staff):
    case = submit_hundesteuer(family="Bereich")
    clerk = staff["clerk"]
    StaffMembership.objects.filter(user=clerk).update(service_areas=["99999"])
    with pytest.raises(NotFound):
        queries.get_case_for_staff_or_404(clerk, case.submission.vorgangsnummer)
    leika = case.submission.service.leika_key
    StaffMembership.objects.filter(user=clerk).update(service_areas=[leika[:8]])
    assert queries.get_case_for_staff_or_404(clerk, case.submission.vorgangsnummer) == case


def test_a_tampered_assignee_gets_a_german_error_not_a_server_error(
    client, own, staff, login_staff
):
    case = submit_hundesteuer(family="Falsch")
    login_staff(client, staff["clerk"])
    number = case.submission.vorgangsnummer
    actions.assign_case(case=case, assignee=staff["clerk"], actor=staff["clerk"])
    # a non-number, a user that does not exist, and a user of another authority
    for tampered in ("abc", "999999", str(staff["foreign_clerk"].pk)):
        response = client.post(
            f"/sachbearbeitung/vorgang/{number}/aktion/zuweisen/",
            {"assignee": tampered},
            follow=True,
        )
        assert response.status_code == 422  # the form again, the error at the field
        assert "Bitte wählen Sie eine Person aus der Liste." in response.content.decode()
        case.refresh_from_db()
        assert case.assignee_id == staff["clerk"].pk  # unchanged, not silently unassigned
