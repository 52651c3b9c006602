"""Forms of the Postfach pages. They only collect input; the actions check and refuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from verbund.core.attachments import allowed_types_label


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the action checks each (type, size, virus scan)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class ReplyForm(forms.Form):
    # Neither field is required alone, but one of them is: no "(optional)" marks, the hint
    # of the text field says so instead.
    hide_optional = True

    body = forms.CharField(
        label=_("Ihre Antwort"),
        required=False,
        help_text=_(
            "Schreiben Sie eine Antwort, fügen Sie Dateien bei oder beides. "
            "Eines von beiden ist nötig."
        ),
        widget=forms.Textarea(attrs={"rows": 6, "class": "kern-form-input__input"}),
    )
    attachments = MultipleFileField(label=_("Dateien beifügen"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = settings.VERBUND_POSTFACH_REPLY_MAX_CHARS
        self.fields["body"].widget.attrs["aria-describedby"] = "id_body-hint"
        self.fields["attachments"].help_text = _(
            "Erlaubt: %(types)s, je Datei höchstens %(mb)s MB."
        ) % {
            "types": allowed_types_label(),
            "mb": f"{settings.VERBUND_ATTACHMENT_MAX_BYTES / 1024 / 1024:g}".replace(".", ","),
        }
        self.fields["attachments"].widget.attrs.update(
            {
                "class": "kern-form-input__input",
                "accept": ",".join(settings.VERBUND_ATTACHMENT_TYPES),
            }
        )


class AnonymousAccessForm(forms.Form):
    vorgangsnummer = forms.CharField(
        label=_("Vorgangsnummer"),
        max_length=40,
        help_text=_("Sie steht auf Ihrer Eingangsbestätigung, z. B. VB-2026-AB12-CD34."),
        widget=forms.TextInput(attrs={"class": "kern-form-input__input", "autocomplete": "off"}),
    )
    zugangscode = forms.CharField(
        label=_("Zugangscode"),
        max_length=100,
        help_text=_(
            "Er steht auf Ihrer Eingangsbestätigung, z. B. K7QM 3XRT 9HPW 2CDE 4FGN. "
            "Leerzeichen und Kleinschreibung sind erlaubt."
        ),
        # Shown in the clear: the code is long and grouped, and typed from paper.
        widget=forms.TextInput(
            attrs={
                "class": "kern-form-input__input verbund-code-input",
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )


class NotificationEmailForm(forms.Form):
    email = forms.CharField(
        label=_("E-Mail-Adresse für Benachrichtigungen"),
        required=False,
        max_length=254,
        help_text=_(
            "Wir schreiben Ihnen nur, dass eine Nachricht wartet – ohne Inhalt. "
            "Leer lassen, um keine E-Mails zu erhalten."
        ),
        widget=forms.EmailInput(attrs={"class": "kern-form-input__input", "autocomplete": "email"}),
    )
