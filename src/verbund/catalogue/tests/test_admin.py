"""Django admin: Land editors edit the catalogue; tenant staff only their own texts."""

import pytest
from django.contrib.auth.models import Permission

from verbund.accounts.models import User
from verbund.authorities.models import Authority, StaffMembership
from verbund.catalogue.models import AuthorityServiceText, Service
from verbund.core.models import AuditEntry

pytestmark = pytest.mark.django_db

TEXTS = "/admin/catalogue/authorityservicetext/"


@pytest.fixture
def authorities():
    return list(Authority.objects.order_by("pk")[:2])


@pytest.fixture
def service():
    return Service.objects.get(slug="hundesteuer-anmelden")


@pytest.fixture
def texts(service, authorities):
    mine, other = authorities
    return (
        AuthorityServiceText.objects.create(service=service, authority=mine, costs="Bei uns 50 €."),
        AuthorityServiceText.objects.create(
            service=service, authority=other, costs="Bei uns 90 €."
        ),
    )


@pytest.fixture
def tenant_staff(authorities):
    user = User.objects.create_user("sachbearbeiterin", password="x", is_staff=True, kind="staff")
    StaffMembership.objects.create(user=user, authority=authorities[0])
    return user


@pytest.fixture
def land_editor():
    user = User.objects.create_user("redaktion", password="x", is_staff=True, kind="operator")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="catalogue",
            codename__in=["view_service", "change_service", "view_authorityservicetext"],
        )
    )
    return user


def test_tenant_staff_list_only_their_authoritys_texts(login_staff, client, tenant_staff, texts):
    login_staff(client, tenant_staff)
    response = client.get(TEXTS)
    assert response.status_code == 200
    shown = list(response.context["cl"].result_list)
    assert shown == [texts[0]]


def test_tenant_staff_cannot_open_another_authoritys_text(login_staff, client, tenant_staff, texts):
    login_staff(client, tenant_staff)
    response = client.get(f"{TEXTS}{texts[1].pk}/change/")
    assert response.status_code in (302, 404)
    assert "Bei uns 90" not in response.content.decode()
    client.post(f"{TEXTS}{texts[1].pk}/change/", {"costs": "gekapert"})
    texts[1].refresh_from_db()
    assert texts[1].costs == "Bei uns 90 €."


def test_tenant_staff_cannot_write_for_another_authority(
    login_staff, client, tenant_staff, service, authorities
):
    login_staff(client, tenant_staff)
    response = client.post(
        f"{TEXTS}add/", {"service": service.pk, "authority": authorities[1].pk, "costs": "x"}
    )
    assert response.status_code == 200  # the form again, with an error
    assert response.context["adminform"].form.errors["authority"]
    assert not AuthorityServiceText.objects.filter(authority=authorities[1]).exists()


def test_tenant_staff_write_their_own_text_through_the_action(
    login_staff, client, tenant_staff, service, authorities
):
    login_staff(client, tenant_staff)
    response = client.post(
        f"{TEXTS}add/",
        {"service": service.pk, "authority": authorities[0].pk, "costs": "Bei uns 40 €."},
    )
    assert response.status_code == 302
    own = AuthorityServiceText.objects.get(authority=authorities[0], service=service)
    assert own.costs == "Bei uns 40 €."
    assert AuditEntry.objects.filter(
        action="catalogue.authority_text_saved", actor_label="sachbearbeiterin"
    ).exists()


def test_tenant_staff_may_look_up_but_not_change_services(
    login_staff, client, tenant_staff, service
):
    login_staff(client, tenant_staff)
    assert client.get(f"/admin/catalogue/service/{service.pk}/change/").status_code == 200
    response = client.post(f"/admin/catalogue/service/{service.pk}/change/", {"name": "x"})
    assert response.status_code == 403
    service.refresh_from_db()
    assert service.name == "Hundesteuer Anmeldung"


def test_staff_without_membership_see_no_texts(login_staff, client):
    user = User.objects.create_user("fremd", password="x", is_staff=True, kind="staff")
    login_staff(client, user)
    assert client.get(TEXTS).status_code == 403


def test_land_editors_see_every_text_and_edit_services(
    login_staff, client, land_editor, texts, service
):
    login_staff(client, land_editor)
    shown = set(client.get(TEXTS).context["cl"].result_list)
    assert shown == set(texts)
    page = client.get(f"/admin/catalogue/service/{service.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update({"name": "Hundesteuer anmelden", "synonyms": "Hundesteuer\nBello anmelden"})
    data["ozg_leistung"] = data.get("ozg_leistung") or ""
    response = client.post(f"/admin/catalogue/service/{service.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    service.refresh_from_db()
    assert service.name == "Hundesteuer anmelden"
    assert AuditEntry.objects.filter(action="catalogue.service_saved").exists()
    # the search knows the new word at once
    from verbund.catalogue.queries import search_services

    assert search_services("bello")[0].service == service


def test_land_editors_order_the_services_of_a_life_situation(login_staff, client, service):
    from verbund.catalogue.models import Lebenslage
    from verbund.catalogue.queries import search_services

    editor = User.objects.create_superuser("chefredaktion", password="x")
    login_staff(client, editor)
    tiere = Lebenslage.objects.get(slug="tiere")
    links = list(tiere.links.order_by("position"))
    data = {
        "name": tiere.name,
        "title": tiere.title,
        "slug": tiere.slug,
        "description": tiere.description,
        "terms": tiere.terms + "\nVierbeiner",
        "position": tiere.position,
        "ozg_id": tiere.ozg_id or "",
        "themenfeld": tiere.themenfeld_id or "",
        "links-TOTAL_FORMS": len(links),
        "links-INITIAL_FORMS": len(links),
        "links-MIN_NUM_FORMS": 0,
        "links-MAX_NUM_FORMS": 1000,
    }
    if tiere.is_featured:
        data["is_featured"] = "on"
    for i, link in enumerate(links):
        data[f"links-{i}-id"] = link.pk
        data[f"links-{i}-lebenslage"] = tiere.pk
        data[f"links-{i}-service"] = link.service_id
        # the dangerous-dog service moves to the front
        data[f"links-{i}-position"] = 0 if link.service.slug == "gefaehrlicher-hund" else i + 1
    response = client.post(f"/admin/catalogue/lebenslage/{tiere.pk}/change/", data)
    assert response.status_code == 302, [
        f.formset.errors for f in response.context["inline_admin_formsets"]
    ]
    first = tiere.links.order_by("position").first()
    assert first.service.slug == "gefaehrlicher-hund"
    # the new everyday word of the life situation leads to its first service
    assert search_services("Vierbeiner")[0].service.slug == "gefaehrlicher-hund"
    assert AuditEntry.objects.filter(action="catalogue.lebenslage_relinked").exists()
