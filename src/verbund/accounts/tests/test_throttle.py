"""Login throttling: failures counted in the database, so every app server refuses."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from verbund.accounts.models import LoginAttempt
from verbund.accounts.queries import login_throttle
from verbund.accounts.tests.conftest import PASSWORD, log_in
from verbund.core import tasks

pytestmark = pytest.mark.django_db


def test_five_wrong_passwords_lock_the_account_for_every_server(citizen, settings):
    settings.VERBUND_LOGIN_THROTTLE_FAILURES = 5
    # given five failures through "server A"
    server_a = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(5):
        assert log_in(server_a, citizen.email, "falsch-geraten").status_code == 200
    # when the right password arrives at "server B" from another address
    server_b = Client(REMOTE_ADDR="10.0.0.2")
    response = log_in(server_b, citizen.email, PASSWORD)
    # then it is refused, without checking the password
    assert response.status_code == 200
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in response.content.decode()
    assert "_auth_user_id" not in server_b.session
    assert LoginAttempt.objects.filter(username=citizen.email).count() == 5


def test_the_lock_ends_when_the_failures_leave_the_window(citizen, settings):
    settings.VERBUND_LOGIN_THROTTLE_FAILURES = 3
    client = Client()
    for _ in range(3):
        log_in(client, citizen.email, "falsch")
    assert login_throttle(username=citizen.email, ip_address=None).blocked
    LoginAttempt.objects.update(at=timezone.now() - datetime.timedelta(hours=1))
    assert log_in(client, citizen.email, PASSWORD).status_code == 302
    # a successful login clears the account's failures
    assert not LoginAttempt.objects.filter(username=citizen.email).exists()


def test_one_address_trying_many_accounts_is_refused(citizen, settings):
    settings.VERBUND_LOGIN_THROTTLE_IP_FAILURES = 4
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(4):
        log_in(attacker, f"opfer{number}@example.org", "123456")
    response = log_in(attacker, citizen.email, PASSWORD)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in response.content.decode()
    # the same account from elsewhere is fine
    assert log_in(Client(REMOTE_ADDR="198.51.100.7"), citizen.email, PASSWORD).status_code == 302


def test_wrong_totp_codes_count_too(client, staff, settings):
    settings.VERBUND_LOGIN_THROTTLE_FAILURES = 3
    log_in(client, "sb.test")
    for _ in range(3):
        client.post("/konto/zweiter-faktor/", {"code": "123456"})
    from verbund.accounts import totp
    from verbund.accounts.tests.conftest import TOTP_SECRET

    response = client.post("/konto/zweiter-faktor/", {"code": totp.current_code(TOTP_SECRET)})
    assert response.status_code == 200
    assert "Zu viele falsche Codes" in response.content.decode()


def test_sessions_end_after_the_idle_timeout(client, citizen, settings):
    settings.VERBUND_SESSION_IDLE_TIMEOUT = 600
    log_in(client, citizen.email)
    assert client.get("/konto/").status_code == 200
    session = client.session
    session["verbund.last_seen"] = session["verbund.last_seen"] - 601
    session.save()
    response = client.get("/konto/")
    assert response.status_code == 302 and response["Location"].startswith("/konto/anmelden/")
    assert client.get("/konto/").status_code == 302


def test_sessions_end_after_the_absolute_limit_however_active(client, citizen, settings):
    settings.SESSION_COOKIE_AGE = 8 * 3600
    log_in(client, citizen.email)
    session = client.session
    session["verbund.auth"] = {
        **session["verbund.auth"],
        "authenticated_at": session["verbund.auth"]["authenticated_at"] - 8 * 3600 - 1,
    }
    session.save()
    response = client.get("/konto/")
    assert response.status_code == 302 and response["Location"].startswith("/konto/anmelden/")


def test_the_staff_api_auth_needs_a_verified_staff_session(rf, staff, citizen):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    from verbund.accounts.access import staff_session_auth

    def request_for(user, factor):
        request = rf.get("/api/v1/behoerde/eingang")
        request.user = user
        request.session = SessionStore()
        request.session["verbund.auth"] = {
            "method": "password",
            "trust_level": "basic",
            "second_factor": factor,
        }
        return request

    assert staff_session_auth.authenticate(request_for(staff, "totp"), None) == staff
    assert staff_session_auth.authenticate(request_for(staff, None), None) is None
    assert staff_session_auth.authenticate(request_for(citizen, "totp"), None) is None
    assert staff_session_auth.authenticate(request_for(AnonymousUser(), None), None) is None


# Issue 11, finding 7: resets never clear second-factor failures, reset mails are limited,
# and parallel attempts cannot exceed the limit.


def _reset_link_password(client: Client, user, password: str) -> None:
    from django.contrib.auth.tokens import default_token_generator

    from verbund.accounts import actions

    actions.reset_password(
        user=user, token=default_token_generator.make_token(user), password=password
    )


def test_a_password_reset_keeps_the_totp_failures(client, staff, settings):
    from verbund.accounts import totp
    from verbund.accounts.tests.conftest import TOTP_SECRET

    settings.VERBUND_LOGIN_THROTTLE_FAILURES = 3
    # given an attacker who knows the password and guessed three wrong codes
    log_in(client, "sb.test")
    for _ in range(3):
        client.post("/konto/zweiter-faktor/", {"code": "000000"})
    # when the attacker, who also reads the mailbox, resets the password and logs in again
    _reset_link_password(client, staff, "Neues-Sicheres-Passwort-77")
    second = Client()
    answer = log_in(second, "sb.test", "Neues-Sicheres-Passwort-77")
    # then the account stays locked until the second-factor failures leave the window
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in answer.content.decode()
    response = second.post("/konto/zweiter-faktor/", {"code": totp.current_code(TOTP_SECRET)})
    assert "_auth_user_id" not in second.session or "Zu viele" in response.content.decode()
    assert LoginAttempt.objects.filter(username="sb.test", stage="totp").count() == 3


def test_a_correct_password_does_not_forgive_totp_failures(client, staff, settings):
    settings.VERBUND_LOGIN_THROTTLE_FAILURES = 3
    for _ in range(3):
        attacker = Client()
        log_in(attacker, "sb.test")
        attacker.post("/konto/zweiter-faktor/", {"code": "000000"})
    assert LoginAttempt.objects.filter(username="sb.test", stage="totp").count() == 3
    assert login_throttle(username="sb.test", ip_address=None).blocked


def test_reset_mails_are_rate_limited_per_address(
    client, citizen, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.VERBUND_PASSWORD_RESET_MAILS = 3
    for _ in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/konto/passwort-vergessen/", {"email": citizen.email})
        assert response.status_code == 200
    tasks.run_pending()
    assert len(mailoutbox) == 3
    # and the mails do not lock the holder out of logging in
    assert log_in(client, citizen.email, PASSWORD).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_never_exceed_the_limit(citizen, settings):
    import threading

    from django.db import connection

    settings.VERBUND_LOGIN_THROTTLE_FAILURES = 5
    settings.VERBUND_LOGIN_THROTTLE_IP_FAILURES = 1000
    start = threading.Barrier(12)
    refused: list[bool] = []

    def attempt() -> None:
        try:
            browser = Client(REMOTE_ADDR="10.9.8.7")
            start.wait()
            body = log_in(browser, citizen.email, "falsch-geraten").content.decode()
            refused.append("Zu viele fehlgeschlagene Anmeldeversuche" in body)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly five attempts were checked, the other seven refused unchecked
    assert len(refused) == 12
    assert refused.count(False) == 5
    assert LoginAttempt.objects.filter(username=citizen.email).count() == 5
