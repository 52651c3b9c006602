"""Rolling out the Land's online services: the service is online only where the responsible
authority is a member and has activated it; elsewhere the citizen is told plainly how else
to apply. The demo activates the services for some authorities and not for others."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import override_settings

from verbund.applications.extensions import online_offered
from verbund.applications.models import Submission
from verbund.catalogue.models import Service
from verbund.cooperation import actions, queries, rules
from verbund.cooperation.models import Activation, SharedService
from verbund.core import memo
from verbund.core.errors import Conflict, InvalidInput
from verbund.core.models import AuditEntry
from verbund.core.page_cache import bump

pytestmark = pytest.mark.django_db

ERFURT = "16051000"
WEIMAR = "16055000"
GERA = "16052000"


def _finder(client, slug: str, ags: str) -> str:
    return client.get(f"/leistungen/{slug}/zustaendigkeit", {"ags": ags}).content.decode()


def test_demo_offers_online_in_erfurt_but_not_in_weimar(client):
    erfurt = _finder(client, "wohnsitz-anmelden", ERFURT)
    assert 'id="online-antrag"' in erfurt
    assert f'href="/leistungen/wohnsitz-anmelden/antrag/?ags={ERFURT}"' in erfurt
    weimar = _finder(client, "wohnsitz-anmelden", WEIMAR)
    assert 'id="online-antrag"' not in weimar
    assert "Stadtverwaltung Weimar bietet diese Leistung nicht online an" in weimar
    # the start page says the same and offers no form
    start = client.get("/leistungen/wohnsitz-anmelden/antrag/", {"ags": WEIMAR})
    assert start.status_code == 200
    html = start.content.decode()
    assert "nicht online an" in html and "Antrag beginnen" not in html
    begin = client.post("/leistungen/wohnsitz-anmelden/antrag/", {"ags": WEIMAR, "begin": "1"})
    assert begin.status_code == 409
    assert (
        "Antrag beginnen"
        in client.get("/leistungen/wohnsitz-anmelden/antrag/", {"ags": ERFURT}).content.decode()
    )


def test_service_page_asks_for_the_place_for_rolled_out_services(client):
    page = client.get("/leistungen/wohnsitz-anmelden/").content.decode()
    assert "an Ihrem Ort verfügbar?" in page
    assert 'href="/leistungen/wohnsitz-anmelden/antrag/"' in page


def test_services_not_rolled_out_stay_online_everywhere(client):
    service = Service.objects.get(slug="gewerbe-anmelden")
    assert not SharedService.objects.filter(service=service).exists()
    assert queries.online_gate(service, None) is None
    page = client.get("/leistungen/gewerbe-anmelden/").content.decode()
    assert "Online beantragen" in page


def test_admin_activates_pauses_and_resumes(client, login_staff, land, own, admin):
    # given: Gera is a member, the Land offers the Hundesteuer form (fee set by the Kommune)
    actions.invite_authority(land=land, ars=own.gebiet.ars, actor="test")
    actions.accept_agreement(
        authority=own,
        version=rules.AGREEMENT_VERSION,
        contact_name="X",
        contact_email="",
        actor=admin,
    )
    shared = SharedService.objects.get(land=land, service__slug="hundesteuer-anmelden")
    service = shared.service
    assert not online_offered(service, own)
    assert "nicht online an" in _finder(client, "hundesteuer-anmelden", GERA)
    # when: the administrator activates it with a fee of 12,50 €
    login_staff(client, admin)
    url = f"/verwaltung/{own.slug}/dienste/{shared.pk}/"
    client.post(
        url, {"schritt": "freischalten", "gebuehr": "12,50", "kontakt": "Steueramt", "frist": "10"}
    )
    activation = Activation.objects.get(shared_service=shared, authority=own)
    assert activation.status == rules.ACTIVE and activation.fee == Decimal("12.50")
    assert online_offered(service, own)
    assert 'id="online-antrag"' in _finder(client, "hundesteuer-anmelden", GERA)
    # when: paused, then resumed
    client.post(url, {"schritt": "pausieren"})
    assert not online_offered(service, own)
    client.post(url, {"schritt": "fortsetzen"})
    assert online_offered(service, own)
    actions_done = list(
        AuditEntry.objects.filter(object_id=str(activation.pk), action__startswith="cooperation.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions_done == [
        "cooperation.service_activated",
        "cooperation.service_paused",
        "cooperation.service_resumed",
    ]
    # when: Gera leaves, the service is no longer online there; the activation stays
    actions.leave_verbund(authority=own, reason="", actor=admin)
    assert not online_offered(service, own)
    assert Activation.objects.filter(pk=activation.pk, status=rules.ACTIVE).exists()


def test_bad_terms_are_refused_in_german(client, login_staff, land, own, admin):
    actions.invite_authority(land=land, ars=own.gebiet.ars, actor="test")
    shared = SharedService.objects.get(land=land, service__slug="hundesteuer-anmelden")
    with pytest.raises(Conflict, match="Nur Mitglieder"):
        actions.activate_service(
            shared=shared,
            authority=own,
            fee=Decimal(1),
            contact="x",
            processing_days=5,
            actor=admin,
        )
    actions.accept_agreement(
        authority=own,
        version=rules.AGREEMENT_VERSION,
        contact_name="X",
        contact_email="",
        actor=admin,
    )
    with pytest.raises(InvalidInput, match="Bearbeitungsfrist"):
        actions.activate_service(
            shared=shared,
            authority=own,
            fee=Decimal(1),
            contact="x",
            processing_days=0,
            actor=admin,
        )
    login_staff(client, admin)
    response = client.post(
        f"/verwaltung/{own.slug}/dienste/{shared.pk}/",
        {"schritt": "freischalten", "gebuehr": "zwölf", "kontakt": "x", "frist": "x"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Die Gebühr muss zwischen" in response.content.decode()
    assert not Activation.objects.filter(authority=own).exists()


def test_rollout_table_shows_which_kommunen_lack_which_service(client, login_staff, operator):
    login_staff(client, operator)
    page = client.get("/land/dienste/").content.decode()
    jena = page.split('id="einfuehrung-stadtverwaltung-jena')[1].split("</tr>")[0]
    assert jena.count("freigeschaltet") == 1 and jena.count("nicht angeboten") == 2
    erfurt = page.split('id="einfuehrung-stadtverwaltung-erfurt')[1].split("</tr>")[0]
    assert "nicht angeboten" not in erfurt
    assert "Stadtverwaltung Weimar" in page


def test_operator_publishes_a_service_for_adoption(client, login_staff, operator, land):
    login_staff(client, operator)
    client.post("/land/dienste/bereitstellen/", {"leistung": "wohngeld"})
    shared = SharedService.objects.get(land=land, service__slug="wohngeld")
    assert shared.form_version.status == "published"
    assert AuditEntry.objects.filter(
        action="cooperation.service_published", object_id=str(shared.pk)
    ).exists()
    refused = client.post("/land/dienste/bereitstellen/", {"leistung": "grabstelle"}, follow=True)
    assert "kein veröffentlichtes Online-Formular" in refused.content.decode()


def test_the_submission_api_respects_the_rollout_gate(client, land):
    # given: Erfurt offers Wohnsitz online (demo), then pauses it
    def announce(key: str):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/v1/submissions",
            json.dumps(
                {
                    "destinationId": "stadtverwaltung-erfurt-16051000",
                    "serviceIdentifier": "wohnsitz-anmelden",
                    "place": {"ags": ERFURT},
                    "announcedAttachments": [],
                }
            ),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    activation = Activation.objects.get(
        shared_service__service__slug="wohnsitz-anmelden",
        authority__slug="stadtverwaltung-erfurt-16051000",
    )
    actions.pause_service(activation=activation, actor="test")
    before = Submission.objects.count()
    # when
    refused = announce("gate-1")
    # then: problem JSON, nothing announced
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "not_offered_online"
    assert "nicht online an" in refused.json()["detail"]
    assert Submission.objects.count() == before
    # and once resumed the same request is taken
    actions.resume_service(activation=activation, actor="test")
    assert announce("gate-2").status_code == 201


@override_settings(VERBUND_PAGE_CACHE_SECONDS=600, VERBUND_SUBMISSION_CACHE_SECONDS=60)
def test_cached_pages_and_the_api_follow_a_pause_at_once(
    client, land, django_capture_on_commit_callbacks
):
    # given: the anonymous finder page for Erfurt (cached) offers Wohnsitz online, and the
    # API has answered the gate once (kept per process)
    activation = Activation.objects.get(
        shared_service__service__slug="wohnsitz-anmelden",
        authority__slug="stadtverwaltung-erfurt-16051000",
    )
    service, erfurt = activation.shared_service.service, activation.authority
    assert 'id="online-antrag"' in _finder(client, "wohnsitz-anmelden", ERFURT)
    with memo.keeping():
        assert online_offered(service, erfurt)
    # when: Erfurt pauses the service
    with django_capture_on_commit_callbacks(execute=True):
        actions.pause_service(activation=activation, actor="test")
    # then: the next page (a new generation token) and the API say so at once
    assert "nicht online an" in _finder(client, "wohnsitz-anmelden", ERFURT)
    with memo.keeping():
        assert not online_offered(service, erfurt)
    # and resuming shows at once too
    with django_capture_on_commit_callbacks(execute=True):
        actions.resume_service(activation=activation, actor="test")
    assert 'id="online-antrag"' in _finder(client, "wohnsitz-anmelden", ERFURT)


@override_settings(VERBUND_PAGE_CACHE_SECONDS=600, VERBUND_SUBMISSION_CACHE_SECONDS=60)
def test_a_page_never_uses_an_answer_the_api_kept(client, land):
    # given: this process's API kept "online" for Erfurt's Wohnsitz
    activation = Activation.objects.get(
        shared_service__service__slug="wohnsitz-anmelden",
        authority__slug="stadtverwaltung-erfurt-16051000",
    )
    service, erfurt = activation.shared_service.service, activation.authority
    with memo.keeping():
        assert online_offered(service, erfurt)
    # when: another process pauses it (a write this process's signals do not see)
    Activation.objects.filter(pk=activation.pk).update(status=rules.PAUSED)
    bump()
    # then: the page rendered under the new generation token asks anew
    assert "nicht online an" in _finder(client, "wohnsitz-anmelden", ERFURT)
