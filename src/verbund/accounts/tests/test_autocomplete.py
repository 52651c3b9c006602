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
