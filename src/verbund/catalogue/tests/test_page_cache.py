"""The public pages' main content, cached for anonymous visitors (decision 0031): a change to
a service, a responsibility or a rollout shows at once, and nothing of one visitor (CSRF
token, messages, sign-in, language) reaches another."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.test import Client

from verbund.accounts.models import User
from verbund.applications.models import FormVersion
from verbund.authorities.models import Authority
from verbund.catalogue import actions
from verbund.catalogue.models import Service
from verbund.cooperation import actions as cooperation_actions
from verbund.cooperation.models import Activation
from verbund.core import page_cache
from verbund.finder.models import Zustaendigkeit

pytestmark = pytest.mark.django_db

SERVICE = "/leistungen/gewerbe-anmelden/"
ERFURT = "16051000"
FINDER = f"/leistungen/wohnsitz-anmelden/zustaendigkeit?ags={ERFURT}"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _html(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _main(html: str) -> str:
    start, end = "<!--verbund:main-->", "<!--/verbund:main-->"
    return html[html.index(start) + len(start) : html.rindex(end)].strip()


@pytest.mark.parametrize(
    "url", ["/", "/leistungen/", "/leistungen/?q=Hund", SERVICE, FINDER, "/lebenslagen/"]
)
def test_a_second_visit_is_served_from_the_cache_with_one_query(
    client, django_assert_max_num_queries, url
) -> None:  # type: ignore[no-untyped-def]
    first = _html(client, url)
    # when: another anonymous visitor asks for the same page
    with django_assert_max_num_queries(1):  # the generation token
        second = _html(Client(), url)
    # then: the same main content
    assert _main(second) == _main(first)
    assert first.split("<title>")[1].split("</title>")[0] in second


def test_a_changed_service_shows_at_once(client) -> None:  # type: ignore[no-untyped-def]
    assert "Gewerbe anmelden (geprüft)" not in _html(client, SERVICE)
    service = Service.objects.get(slug="gewerbe-anmelden")
    service.name = "Gewerbe anmelden (geprüft)"
    actions.save_service(service=service, actor="test")
    assert "Gewerbe anmelden (geprüft)" in _html(client, SERVICE)
    assert "Gewerbe anmelden (geprüft)" in _html(client, "/leistungen/?q=Gewerbe")


def test_a_withdrawn_form_shows_at_once(client) -> None:  # type: ignore[no-untyped-def]
    assert "Online beantragen" in _html(client, SERVICE)
    FormVersion.objects.get(
        definition__service__slug="gewerbe-anmelden", status=FormVersion.Status.PUBLISHED
    ).delete()
    assert "Online beantragen" not in _html(client, SERVICE)


def test_a_paused_rollout_shows_at_once_in_the_finder(client) -> None:  # type: ignore[no-untyped-def]
    assert 'id="online-antrag"' in _html(client, FINDER)
    activation = Activation.objects.get(
        shared_service__service__slug="wohnsitz-anmelden", authority__gebiet__ags=ERFURT
    )
    # when
    cooperation_actions.pause_service(activation=activation, actor="test")
    # then
    html = _html(client, FINDER)
    assert 'id="online-antrag"' not in html and "nicht online an" in html


def test_a_changed_responsibility_shows_at_once_in_the_finder(client) -> None:  # type: ignore[no-untyped-def]
    url = f"/leistungen/apostille/zustaendigkeit?ags={ERFURT}"
    assert "Thüringer Landesverwaltungsamt" in _main(_html(client, url))
    # when: the Land hands the task to another authority
    responsibility = Zustaendigkeit.objects.get(service__slug="apostille")
    responsibility.authority = Authority.objects.get(slug="tmdi")
    responsibility.save()
    # then
    html = _main(_html(client, url))
    assert "Thüringer Ministerium für Digitales" in html
    assert "Thüringer Landesverwaltungsamt" not in html


def test_visitors_get_their_own_csrf_token_on_a_cached_page() -> None:
    alice, bob = Client(), Client()
    first = _html(alice, SERVICE)
    second = _html(bob, SERVICE)
    [token_a], [token_b] = CSRF.findall(first), CSRF.findall(second)
    assert token_a != token_b
    # then: Bob's token is the one his own cookie accepts (the language switch works for him)
    bob_cookie = bob.cookies[settings.CSRF_COOKIE_NAME].value
    assert bob_cookie != alice.cookies[settings.CSRF_COOKIE_NAME].value
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = bob.cookies
    switched = strict.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token_b})
    assert switched.status_code == 302


def test_a_signed_in_user_never_gets_or_fills_the_anonymous_cache(client, login_staff) -> None:  # type: ignore[no-untyped-def]
    login_staff(client, User.objects.get(username="sb.erfurt"))
    signed_in = _html(client, SERVICE)
    assert "Mein Konto" in signed_in
    anonymous = _html(Client(), SERVICE)
    assert "Anmelden" in anonymous and "Mein Konto" not in anonymous
    # and the other way round: a page the cache holds is not served to the signed-in user
    assert "Mein Konto" in _html(client, SERVICE)


def test_a_visitors_message_stays_with_that_visitor() -> None:
    _html(Client(), SERVICE)  # cached
    alice = Client()
    request = HttpRequest()
    storage = CookieStorage(request)
    storage.add(constants.INFO, "Nur für Alice bestimmt.")
    response = HttpResponse()
    storage.update(response)
    alice.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value
    assert "Nur für Alice bestimmt." in _html(alice, SERVICE)
    assert "Nur für Alice bestimmt." not in _html(Client(), SERVICE)


def test_each_language_has_its_own_page() -> None:
    german = _html(Client(), "/leistungen/")
    english_client = Client()
    english_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _html(english_client, "/leistungen/")
    assert 'lang="de"' in german and 'lang="en"' in english
    assert _main(german) != _main(english)


def test_a_page_with_a_csrf_token_in_its_main_content_is_never_cached(rf) -> None:  # type: ignore[no-untyped-def]
    html = (
        "<html><head><title>T</title><!--verbund:head--><!--/verbund:head--></head><body>"
        '<!--verbund:main--><form><input name="csrfmiddlewaretoken" value="x"></form>'
        "<!--/verbund:main--></body></html>"
    )
    assert page_cache.extract(HttpResponse(html)) is None
    assert page_cache.extract(HttpResponse(html.replace("csrfmiddlewaretoken", "q"))) is not None
