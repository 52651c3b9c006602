"""A tenant's own text replaces the Land's text for its area, field by field."""

import pytest

from verbund.authorities.models import Authority
from verbund.catalogue import actions
from verbund.catalogue.models import AuthorityServiceText, Service
from verbund.catalogue.queries import texts_for
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    return Service.objects.get(slug="hundesteuer-anmelden")


@pytest.fixture
def two_authorities():
    return list(Authority.objects.order_by("pk")[:2])


def test_without_own_text_the_lands_text_counts(service, two_authorities):
    texts = texts_for(service, two_authorities[0])
    assert texts.short_text == service.short_text
    assert texts.costs == service.costs
    assert texts.overridden == frozenset()
    assert texts_for(service, None).full_text == service.full_text


def test_own_text_replaces_the_lands_field_by_field(service, two_authorities):
    mine, other = two_authorities
    actions.save_authority_text(
        text=AuthorityServiceText(
            service=service,
            authority=mine,
            costs="Die Hundesteuer beträgt bei uns 60 Euro im Jahr.",
            online_service_url="https://example.org/hundesteuer",
        ),
        actor="test",
    )
    texts = texts_for(service, mine)
    assert texts.costs == "Die Hundesteuer beträgt bei uns 60 Euro im Jahr."
    assert texts.online_service_url == "https://example.org/hundesteuer"
    assert texts.overridden == {"costs", "online_service_url"}
    # fields the authority left empty keep the Land's text; name and legal basis stay
    assert texts.short_text == service.short_text
    assert texts.name == service.name and texts.legal_basis == service.legal_basis
    # another authority's area keeps the Land's text
    assert texts_for(service, other).costs == service.costs
    assert AuditEntry.objects.filter(action="catalogue.authority_text_saved").exists()


def test_whitespace_only_override_does_not_blank_the_text(service, two_authorities):
    AuthorityServiceText.objects.create(service=service, authority=two_authorities[0], costs="  ")
    assert texts_for(service, two_authorities[0]).costs == service.costs


def test_texts_expose_every_text_attribute_of_a_service(service):
    texts = texts_for(service, None)
    for name in (
        "name",
        "name_2",
        "short_text",
        "full_text",
        "required_documents",
        "prerequisites",
        "costs",
        "deadlines",
        "processing_time",
        "procedure",
        "notes",
        "legal_basis",
        "forms_url",
        "online_service_url",
    ):
        assert getattr(texts, name) == getattr(service, name)
    assert texts.required_document_list == service.required_document_list
