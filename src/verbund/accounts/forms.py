"""Forms of the Servicekonto pages. Validation of meaning happens in the actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from verbund.accounts.models import Organisation

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class KernForm(forms.Form):
    """Widgets with KERN UX classes, and hints and errors tied to their field for screen
    readers (`aria-describedby`, `aria-invalid`)."""

    # Field name -> HTML `autocomplete` token, for fields about the user (WCAG 1.3.5).
    autocomplete: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, token in self.autocomplete.items():
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault("autocomplete", token)
        self._decorate()

    def full_clean(self) -> None:
        super().full_clean()
        self._decorate()

    def _decorate(self) -> None:
        errors = getattr(self, "_errors", None) or {}
        for name, field in self.fields.items():
            widget = field.widget
            input_type = getattr(widget, "input_type", "")
            if input_type == "select":
                css = "kern-form-input__select"
            elif input_type == "checkbox":
                continue
            else:
                css = "kern-form-input__input"
            field_id = f"id_{self.add_prefix(name)}"
            described = []
            if field.help_text:
                described.append(f"{field_id}-hint")
            if name in errors:
                css += f" {css}--error"
                described.append(f"{field_id}-error")
                widget.attrs["aria-invalid"] = "true"
            else:
                widget.attrs.pop("aria-invalid", None)
            widget.attrs["class"] = css
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)


def new_password_fields(
    label: StrOrPromise, again: StrOrPromise, *, help_text: StrOrPromise = ""
) -> tuple[forms.CharField, forms.CharField]:
    """A new password and its repetition, for a form that sets one."""
    widget = {"autocomplete": "new-password"}
    return (
        forms.CharField(
            label=label, strip=False, help_text=help_text, widget=forms.PasswordInput(widget)
        ),
        forms.CharField(label=again, strip=False, widget=forms.PasswordInput(widget)),
    )


class RepeatedPasswordForm(KernForm):
    """A form with `password` and `password_again` (from `new_password_fields`)."""

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("Die beiden Passwörter stimmen nicht überein."))
        return data


class LoginForm(KernForm):
    login = forms.CharField(
        label=_("E-Mail-Adresse oder Benutzername"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Passwort"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RegistrationForm(RepeatedPasswordForm):
    autocomplete: ClassVar[dict[str, str]] = {
        "given_name": "given-name",
        "family_name": "family-name",
        "birth_date": "bday",
        "street": "street-address",
        "postal_code": "postal-code",
        "city": "address-level2",
        "email": "email",
    }

    given_name = forms.CharField(label=_("Vorname"), max_length=150, required=False)
    family_name = forms.CharField(label=_("Familienname"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("E-Mail-Adresse"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password, password_again = new_password_fields(
        _("Passwort"),
        _("Passwort wiederholen"),
        help_text=_("Mindestens 10 Zeichen, nicht nur Ziffern und kein gängiges Passwort."),
    )


class OrganisationRegistrationForm(RegistrationForm):
    organisation_name = forms.CharField(label=_("Name der Organisation"), max_length=200)
    legal_form = forms.ChoiceField(label=_("Rechtsform"), choices=Organisation.LegalForm.choices)
    register_number = forms.CharField(
        label=_("Registernummer"),
        max_length=60,
        required=False,
        help_text=_("Falls eingetragen, z. B. HRB 12345 oder VR 678."),
    )
    street = forms.CharField(label=_("Straße und Hausnummer"), max_length=200)
    postal_code = forms.RegexField(
        label=_("Postleitzahl"),
        regex=r"^\d{5}$",
        error_messages={"invalid": _("Bitte geben Sie eine fünfstellige Postleitzahl an.")},
    )
    city = forms.CharField(label=_("Ort"), max_length=120)

    field_order = [
        "organisation_name",
        "legal_form",
        "register_number",
        "street",
        "postal_code",
        "city",
        "given_name",
        "family_name",
        "email",
        "password",
        "password_again",
    ]


class EmailForm(KernForm):
    email = forms.EmailField(
        label=_("E-Mail-Adresse"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class SetPasswordForm(RepeatedPasswordForm):
    password, password_again = new_password_fields(
        _("Neues Passwort"), _("Neues Passwort wiederholen")
    )


class TotpCodeForm(KernForm):
    code = forms.CharField(
        label=_("Sechsstelliger Code aus Ihrer Authenticator-App"),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": r"[0-9 ]*",
                "autofocus": True,
            }
        ),
    )


class ProfileForm(KernForm):
    autocomplete: ClassVar[dict[str, str]] = {
        "given_name": "given-name",
        "family_name": "family-name",
        "birth_date": "bday",
        "street": "street-address",
        "postal_code": "postal-code",
        "city": "address-level2",
        "email": "email",
    }

    given_name = forms.CharField(label=_("Vorname"), max_length=150, required=False)
    family_name = forms.CharField(label=_("Familienname"), max_length=150, required=False)
    birth_date = forms.DateField(
        label=_("Geburtsdatum"),
        required=False,
        help_text=_("Zum Beispiel 24.12.1990."),
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        widget=forms.DateInput(format="%d.%m.%Y", attrs={"autocomplete": "bday"}),
    )
    street = forms.CharField(label=_("Straße und Hausnummer"), max_length=200, required=False)
    postal_code = forms.RegexField(
        label=_("Postleitzahl"),
        regex=r"^\d{5}$",
        required=False,
        error_messages={"invalid": _("Bitte geben Sie eine fünfstellige Postleitzahl an.")},
    )
    city = forms.CharField(label=_("Ort"), max_length=120, required=False)


class DeleteAccountForm(KernForm):
    password = forms.CharField(
        label=_("Ihr Passwort zur Bestätigung"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("Ich möchte mein Servicekonto mit allen Daten endgültig löschen."),
    )


class MemberForm(KernForm):
    email = forms.EmailField(label=_("E-Mail-Adresse der Person"))
