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
    # No address field: a rejection goes only to the seller's contact in the invoice
    # (BT-43) or a registered supplier's address, never to one typed in by anyone.


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Ablehnung"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("Der Lieferant erhält diesen Text per E-Mail."),
    )
