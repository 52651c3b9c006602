# ruff: noqa: F811 (the fixtures imported from the casework tests are parameters here)
"""Staff-held authority keys (decision 0027): the platform, with its database, state
directory and SECRET_KEY, cannot open a submission; a member unlocks with the key
passphrase and reads; the Leitung grants, a leaver loses access, a second Leitung member
recovers a colleague who forgot the passphrase."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from verbund.applications import queries as application_queries
from verbund.authorities import actions, custody, keys, queries
from verbund.authorities.checks import check_keys_protected
from verbund.authorities.models import (
    EncryptionKey,
    KeyProtection,
    StaffKey,
    StaffKeyWrap,
    StaffMembership,
    StaffRole,
)
from verbund.casework import queries as casework_queries
from verbund.casework.tests.conftest import (  # noqa: F401 (fixtures)
    _attachment_storage,
    _key_pool,
    foreign,
    own,
    staff,
)
from verbund.casework.tests.factories import submit_hundesteuer
from verbund.core.errors import DomainError, NotFound
from verbund.mailbox import actions as mailbox_actions
from verbund.mailbox.actions import MessageKind

pytestmark = pytest.mark.django_db

LEAD_PHRASE = "Lindenblüte über dem Domplatz"
ADMIN_PHRASE = "Thüringer Klöße am Sonntag"
CLERK_PHRASE = "Wartburg im Nebel, 1521"


@pytest.fixture(autouse=True)
def _staff_held(settings, own):  # type: ignore[no-untyped-def]
    # The demo data made a platform-held key for Erfurt; start without one.
    settings.VERBUND_KEY_CUSTODY = "staff"
    EncryptionKey.objects.filter(authority=own, active=True).update(
        active=False, retired_at=timezone.now()
    )


def _unlocked(user, phrase: str) -> custody.Keyring:  # type: ignore[no-untyped-def]
    return queries.unlock_staff_key(user, phrase)


def _set(user, phrase: str) -> custody.Keyring:  # type: ignore[no-untyped-def]
    private = actions.set_key_passphrase(user=user, passphrase=phrase, actor=user)
    return custody.Keyring(user_id=user.pk, private_jwk=private)


def _read(user, case) -> str:  # type: ignore[no-untyped-def]
    opened = application_queries.decrypt_submission_for_staff(
        user, str(case.submission.vorgangsnummer)
    )
    return str(opened.data["familienname"])


def _membership(user) -> StaffMembership:  # type: ignore[no-untyped-def]
    return StaffMembership.objects.get(user=user)


def test_the_platform_cannot_decrypt_a_staff_held_submission(staff):
    # given: the Leitung set key passphrases, then a citizen submits
    _set(staff["lead"], LEAD_PHRASE)
    _set(staff["admin"], ADMIN_PHRASE)
    case = submit_hundesteuer(family="Geheimhaltung")
    key = EncryptionKey.objects.get(pk=case.submission.key_id)
    # then: nothing the platform keeps opens the authority's private key
    assert key.protection == KeyProtection.STAFF
    assert key.wrapped_private_key == ""
    kek = queries.key_encryption_key()  # the database, the state directory, SECRET_KEY
    stored = [w.sealed_private_key for w in StaffKeyWrap.objects.filter(key=key)]
    stored += [k.wrapped_private_key for k in StaffKey.objects.all()]
    assert len(stored) == 4  # lead and admin: a seal each and a wrapped own key each
    for blob in stored:
        with pytest.raises(keys.UnusableKey):
            keys.unwrap(blob, kek)
    # and the back office refuses without an unlocked key, even to the Leitung
    with pytest.raises(custody.KeyLocked):
        _read(staff["lead"], case)
    # and a wrong passphrase opens nothing
    with pytest.raises(DomainError) as refused:
        _unlocked(staff["lead"], "Lindenblüte unter dem Domplatz")
    assert refused.value.code == "passphrase_wrong"


def test_deploy_check_refuses_platform_custody(settings):
    settings.VERBUND_KEY_CUSTODY = "platform"
    assert "verbund.E005" in [m.id for m in check_keys_protected()]
    settings.VERBUND_KEY_CUSTODY = "staff"
    EncryptionKey.objects.filter(protection=KeyProtection.PLATFORM).update(
        protection=KeyProtection.STAFF
    )
    assert "verbund.E005" not in [m.id for m in check_keys_protected()]


def test_deploy_check_warns_while_only_one_leitung_member_holds_the_key(staff, own):
    # given: only the lead has a passphrase when the key is made
    lead = _set(staff["lead"], LEAD_PHRASE)
    submit_hundesteuer()
    assert "verbund.W001" in [m.id for m in check_keys_protected()]
    # when: the administration member is granted too
    _set(staff["admin"], ADMIN_PHRASE)
    with custody.keyring_in_use(lead):
        actions.grant_key_access(membership=_membership(staff["admin"]), actor=staff["lead"])
    # then
    assert own.name not in queries.authorities_with_few_key_holders()
    assert "verbund.W001" not in [m.id for m in check_keys_protected()]


def test_an_authority_without_a_key_holder_refuses_submissions_instead_of_a_platform_key(
    staff, own
):
    # given: nobody of the Leitung has a key passphrase yet
    # when / then
    with pytest.raises(DomainError) as refused:
        submit_hundesteuer()
    assert refused.value.code == "key_not_set_up"
    assert not EncryptionKey.objects.filter(authority=own, active=True).exists()


def test_a_staff_member_unlocks_once_per_session_and_reads(client, login_staff, staff):
    # given
    _set(staff["lead"], LEAD_PHRASE)
    case = submit_hundesteuer(family="Sonnenschein")
    number = case.submission.vorgangsnummer
    case_url = reverse("casework:case", kwargs={"number": number})
    attachment_url = reverse("casework:attachment", kwargs={"number": number, "attachment_id": "x"})
    login_staff(client, staff["lead"])
    # when: the case and a download are opened with the key locked
    locked = client.get(case_url)
    download = client.get(attachment_url)
    # then: the page "Schlüssel entsperren", not a 500 and not the data
    for response in (locked, download):
        assert response.status_code == 403
        assert "Schlüssel entsperren" in response.content.decode()
        assert "Sonnenschein" not in response.content.decode()
    # when: a wrong passphrase, then the right one
    wrong = client.post(
        reverse("authorities:key_unlock"),
        {"passphrase": "falsch falsch falsch", "unlock": "1", "next": case_url},
    )
    assert wrong.status_code == 403 and "nicht richtig" in wrong.content.decode()
    unlocked = client.post(
        reverse("authorities:key_unlock"),
        {"passphrase": LEAD_PHRASE, "unlock": "1", "next": case_url},
    )
    # then: back to the case, which now shows the data, as does every later request
    assert unlocked.status_code == 302 and unlocked["Location"] == case_url
    assert "Sonnenschein" in client.get(case_url).content.decode()
    assert client.get(attachment_url).status_code == 404  # opened; no such attachment
    # and the session alone (without the browser's cookie half) opens nothing
    stored = client.session[custody.SESSION_FIELD]
    assert LEAD_PHRASE not in str(stored) and '"d"' not in str(stored)
    del client.cookies[custody.COOKIE]
    assert client.get(case_url).status_code == 403


def test_wrong_key_passphrases_are_throttled_with_the_logins(client, login_staff, staff, settings):
    # given
    settings.VERBUND_LOGIN_THROTTLE_FAILURES = 3
    _set(staff["lead"], LEAD_PHRASE)
    login_staff(client, staff["lead"])
    url = reverse("authorities:key_unlock")
    # when: three wrong passphrases, then the right one
    for _ in range(3):
        assert client.post(url, {"passphrase": "falsch falsch falsch"}).status_code == 403
    refused = client.post(url, {"passphrase": LEAD_PHRASE})
    # then: refused without trying it, and nothing unlocked
    assert refused.status_code == 403 and "Zu viele Fehlversuche" in refused.content.decode()
    assert custody.SESSION_FIELD not in client.session


def test_an_unlocked_leitung_member_grants_a_new_member(staff):
    # given: the Leitung holds the key; a clerk joins and sets a passphrase
    lead = _set(staff["lead"], LEAD_PHRASE)
    case = submit_hundesteuer(family="Beitritt")
    clerk = _set(staff["clerk"], CLERK_PHRASE)
    with custody.keyring_in_use(clerk), pytest.raises(DomainError) as refused:
        _read(staff["clerk"], case)
    assert refused.value.code == "key_not_granted"
    # when: granting needs the Leitung's unlocked key, and a clerk cannot grant
    with pytest.raises(custody.KeyLocked):
        actions.grant_key_access(membership=_membership(staff["clerk"]), actor=staff["lead"])
    with custody.keyring_in_use(clerk), pytest.raises(DomainError) as not_manager:
        actions.grant_key_access(membership=_membership(staff["clerk"]), actor=staff["clerk"])
    assert not_manager.value.code == "not_key_manager"
    with custody.keyring_in_use(lead):
        actions.grant_key_access(membership=_membership(staff["clerk"]), actor=staff["lead"])
    # then: the clerk reads with the own passphrase
    with custody.keyring_in_use(_unlocked(staff["clerk"], CLERK_PHRASE)):
        assert _read(staff["clerk"], case) == "Beitritt"


def test_a_leaver_loses_the_wrap_and_the_passphrase_no_longer_opens_anything(staff, own):
    # given: a clerk who could read
    lead = _set(staff["lead"], LEAD_PHRASE)
    old_case = submit_hundesteuer(family="Vorher")
    _set(staff["clerk"], CLERK_PHRASE)
    with custody.keyring_in_use(lead):
        actions.grant_key_access(membership=_membership(staff["clerk"]), actor=staff["lead"])
    # when: the clerk leaves, and the Leitung rotates the key
    actions.upsert_staff_membership(
        user=staff["clerk"], authority=own, role=StaffRole.CLERK, active=False, actor="test"
    )
    old_key = EncryptionKey.objects.get(authority=own, active=True)
    new_key = actions.rotate_encryption_key(authority=own, actor=staff["lead"])
    new_case = submit_hundesteuer(family="Nachher")
    # then: no seal for the leaver is left, and their own key opens none of the others
    assert not StaffKeyWrap.objects.filter(membership__user=staff["clerk"]).exists()
    leaver = _unlocked(staff["clerk"], CLERK_PHRASE)
    with custody.keyring_in_use(leaver), pytest.raises(NotFound):
        _read(staff["clerk"], old_case)
    for wrap in StaffKeyWrap.objects.all():
        with pytest.raises(keys.UnusableKey):
            keys.open_sealed_private_key(wrap.sealed_private_key, leaver.private_jwk)
    # and new submissions go to the new key; the old key still opens the old cases
    assert new_case.submission.key_id == new_key.pk != old_key.pk
    old_key.refresh_from_db()
    assert not old_key.active and old_key.retired_at is not None
    with custody.keyring_in_use(lead):
        assert _read(staff["lead"], old_case) == "Vorher"
        assert _read(staff["lead"], new_case) == "Nachher"


def test_a_second_leitung_member_recovers_a_forgotten_passphrase(staff):
    # given: lead and admin both hold the key (sealed to both when it was made)
    _set(staff["lead"], LEAD_PHRASE)
    admin = _set(staff["admin"], ADMIN_PHRASE)
    case = submit_hundesteuer(family="Erinnerung")
    # when: the lead forgot the passphrase and sets a new one
    new_lead = _set(staff["lead"], "Ein ganz neuer Satz zum Merken")
    # then: the old seal is gone and the old passphrase opens nothing
    with pytest.raises(DomainError):
        _unlocked(staff["lead"], LEAD_PHRASE)
    with custody.keyring_in_use(new_lead), pytest.raises(DomainError) as refused:
        _read(staff["lead"], case)
    assert refused.value.code == "key_not_granted"
    # when: the second Leitung member grants again
    with custody.keyring_in_use(admin):
        actions.grant_key_access(membership=_membership(staff["lead"]), actor=staff["admin"])
    # then
    with custody.keyring_in_use(new_lead):
        assert _read(staff["lead"], case) == "Erinnerung"


def test_postfach_replies_open_only_with_the_unlocked_key(staff):
    # given: the applicant answered a question of the authority
    lead = _set(staff["lead"], LEAD_PHRASE)
    case = submit_hundesteuer(family="Antwort")
    message = mailbox_actions.post_message(
        submission=case.submission,
        sender_authority=case.submission.authority,
        kind=MessageKind.RUECKFRAGE,
        subject="Nachweis fehlt",
        body="Bitte senden Sie den Nachweis.",
        reply_requested=True,
        actor="system",
    )
    mailbox_actions.reply_to_message(
        message=message, body="Hier ist der Nachweis.", actor_or_none=None
    )
    # when / then: the thread needs the unlocked key, and then shows the reply
    with pytest.raises(custody.KeyLocked):
        casework_queries.thread(staff["lead"], case)
    with custody.keyring_in_use(lead):
        entries = casework_queries.thread(staff["lead"], case)
    assert [e.body for e in entries if e.inbound] == ["Hier ist der Nachweis."]


def test_a_platform_held_key_is_taken_into_staff_custody(settings, staff, own):
    # given: a key made in the demo's mode, and a case sealed to it
    settings.VERBUND_KEY_CUSTODY = "platform"
    case = submit_hundesteuer(family="Umzug")
    settings.VERBUND_KEY_CUSTODY = "staff"
    lead = _set(staff["lead"], LEAD_PHRASE)
    # when
    key = actions.take_key_into_staff_custody(
        key=EncryptionKey.objects.get(authority=own, active=True), actor=staff["lead"]
    )
    # then: the platform's wrap is erased, the Leitung reads
    assert key.protection == KeyProtection.STAFF and key.wrapped_private_key == ""
    with pytest.raises(custody.KeyLocked):
        _read(staff["lead"], case)
    with custody.keyring_in_use(lead):
        assert _read(staff["lead"], case) == "Umzug"


def test_another_authoritys_leitung_gets_404_on_the_key_page(client, login_staff, staff, own):
    login_staff(client, staff["foreign_lead"])
    assert client.get(reverse("authorities:key_access", args=[own.slug])).status_code == 404
    login_staff(client, staff["clerk"])
    assert client.get(reverse("authorities:key_access", args=[own.slug])).status_code == 404
    login_staff(client, staff["lead"])
    page = client.get(reverse("authorities:key_access", args=[own.slug]))
    assert page.status_code == 200 and "Schlüssel der Behörde" in page.content.decode()
