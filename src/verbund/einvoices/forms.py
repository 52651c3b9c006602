from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    document = forms.FileField(
        label=_("Rechnung (XRechnung als XML, oder ZUGFeRD/Factur-X als PDF)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xml,.pdf,application/xml,application/pdf"}
        ),
    )
    email = forms.EmailField(
        label=_("E-Mail-Adresse für Rückmeldungen (freiwillig)"),
        required=False,
        help_text=_(
            "Lehnt die Behörde die Rechnung ab, erhalten Sie die Gründe an diese Adresse. "
            "Ohne Angabe nutzen wir die Kontaktadresse des Verkäufers aus der Rechnung."
        ),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Ablehnung"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("Der Lieferant erhält diesen Text per E-Mail."),
    )
