"""WCAG 1.3.5: the Servicekonto's own-data fields name their purpose."""

import re

from verbund.accounts.forms import MemberForm, ProfileForm, RegistrationForm


def test_profile_form_fields_carry_autocomplete():
    html = ProfileForm().as_p()
    for name, token in [
        ("given_name", "given-name"),
        ("family_name", "family-name"),
        ("birth_date", "bday"),
        ("street", "street-address"),
        ("postal_code", "postal-code"),
        ("city", "address-level2"),
    ]:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert tag is not None, name
        assert f'autocomplete="{token}"' in tag.group(0), name


def test_registration_names_carry_autocomplete_but_another_persons_email_does_not():
    html = RegistrationForm().as_p()
    assert 'autocomplete="given-name"' in html and 'autocomplete="family-name"' in html
    assert 'autocomplete="email"' in html
    assert "autocomplete=" not in MemberForm().as_p()


def test_profile_refuses_a_birth_date_in_the_future(client, citizen):
    import datetime

    from verbund.accounts import queries
    from verbund.accounts.tests.conftest import log_in

    log_in(client, "anna.schmidt@example.org")
    future = datetime.date.today() + datetime.timedelta(days=400)
    response = client.post(
        "/konto/profil/",
        {"given_name": "Anna", "family_name": "Schmidt", "birth_date": future.strftime("%d.%m.%Y")},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'href="#id_birth_date">Geburtsdatum: Das Geburtsdatum darf nicht in der Zukunft' in html
    assert queries.profile_of(citizen).birth_date is None
    past = client.post(
        "/konto/profil/",
        {"given_name": "Anna", "family_name": "Schmidt", "birth_date": "24.12.1990"},
    )
    assert past.status_code == 302
    assert queries.profile_of(citizen).birth_date == datetime.date(1990, 12, 24)
