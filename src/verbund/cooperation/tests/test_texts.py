"""Service texts: the Land writes the base text, an authority replaces parts for its
area; every change is a draft, goes to review and is published by a second person, with
versions and a diff."""

from __future__ import annotations

import pytest
from django.test import Client

from verbund.accounts.models import User
from verbund.catalogue.queries import texts_for
from verbund.cooperation import actions, rules
from verbund.cooperation.models import LandOperator, TextRevision
from verbund.core.errors import Conflict, InvalidInput
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db

SLUG = "hundesteuer-anmelden"


@pytest.fixture
def second(land) -> User:
    user = User.objects.create_user("t-editor-2", kind=User.Kind.OPERATOR)
    LandOperator.objects.create(user=user, land=land)
    return user


def _service():  # type: ignore[no-untyped-def]
    from verbund.cooperation.queries import service_by_slug

    return service_by_slug(SLUG)


def test_land_base_text_is_published_by_a_second_editor(operator, second, login_staff):
    editor, reviewer = Client(), Client()
    login_staff(editor, operator)
    login_staff(reviewer, second)
    old = _service().costs
    # the editor loads the published text, drafts and submits
    page = editor.get("/land/texte/", {"leistung": SLUG, "feld": "costs"}).content.decode()
    assert old.splitlines()[0][:30] in page
    editor.post("/land/texte/entwurf/", {"leistung": SLUG, "feld": "costs", "text": "120 Euro"})
    revision = TextRevision.objects.get()
    assert revision.state == rules.TEXT_DRAFT and revision.version == 1
    editor.post(f"/land/texte/{revision.pk}/", {"schritt": "einreichen"})
    # the author cannot publish their own text
    editor.post(f"/land/texte/{revision.pk}/", {"schritt": "veroeffentlichen"})
    assert _service().costs == old
    # the reviewer sees the diff and publishes
    page = reviewer.get("/land/texte/").content.decode()
    assert "+120 Euro" in page and f"-{old.splitlines()[0]}" in page
    reviewer.post(f"/land/texte/{revision.pk}/", {"schritt": "veroeffentlichen"})
    revision.refresh_from_db()
    assert revision.state == rules.TEXT_PUBLISHED and revision.reviewed_by == second
    assert _service().costs == "120 Euro"
    actions_seen = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "cooperation.text_drafted",
        "cooperation.text_submitted",
        "cooperation.text_published",
        "catalogue.service_saved",
    } <= actions_seen


def test_authority_override_for_its_area_through_review(land, own, admin, operator, login_staff):
    client = Client()
    login_staff(client, admin)
    client.post(
        f"/verwaltung/{own.slug}/texte/entwurf/",
        {"leistung": SLUG, "feld": "procedure", "text": "Formular im Bürgerbüro Gera abgeben."},
    )
    revision = TextRevision.objects.get(authority=own)
    client.post(f"/verwaltung/{own.slug}/texte/{revision.pk}/")
    revision.refresh_from_db()
    assert revision.state == rules.TEXT_REVIEW
    assert "procedure" not in texts_for(_service(), own).overridden
    actions.review_text(revision=revision, publish=True, actor=operator)
    texts = texts_for(_service(), own)
    assert texts.procedure == "Formular im Bürgerbüro Gera abgeben."
    assert texts_for(_service(), None).procedure != texts.procedure  # the Land's stays
    # versions count up per field and authority
    second = actions.draft_text(
        land=land,
        service=_service(),
        authority=own,
        field_name="procedure",
        text="Neu",
        actor=admin,
    )
    assert second.version == 2
    assert second.previous == "Formular im Bürgerbüro Gera abgeben."


def test_rules_of_the_workflow(land, operator, second):
    with pytest.raises(InvalidInput):  # nothing changed
        actions.draft_text(
            land=land, service=_service(), field_name="costs", text=_service().costs, actor=operator
        )
    with pytest.raises(InvalidInput):
        actions.draft_text(
            land=land, service=_service(), field_name="name", text="x", actor=operator
        )
    revision = actions.draft_text(
        land=land, service=_service(), field_name="costs", text="neu", actor=operator
    )
    with pytest.raises(Conflict):  # not yet in review
        actions.review_text(revision=revision, publish=True, actor=second)
    actions.submit_text_for_review(revision=revision, actor=operator)
    with pytest.raises(InvalidInput):  # a rejection needs a note
        actions.review_text(revision=revision, publish=False, actor=second)
    # someone else published meanwhile: the stale draft is refused
    other = actions.draft_text(
        land=land, service=_service(), field_name="costs", text="anders", actor=second
    )
    actions.submit_text_for_review(revision=other, actor=second)
    actions.review_text(revision=other, publish=True, actor=operator)
    with pytest.raises(Conflict):
        actions.review_text(revision=revision, publish=True, actor=second)


def test_diff_rule():
    assert rules.text_diff("a\nb", "a\nc") == ["@@ -1,2 +1,2 @@", " a", "-b", "+c"]
