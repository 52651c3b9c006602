from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.types import Gebiet
from verbund.opendata import rules


class DatasetForm(forms.Form):
    title = forms.CharField(label=_("Titel"), max_length=300)
    description = forms.CharField(
        label=_("Beschreibung"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20000
    )
    keywords = forms.CharField(
        label=_("Schlagwörter"),
        required=False,
        max_length=1000,
        help_text=_("Durch Kommas getrennt, z. B. Kita, Bildung"),
    )
    themes = forms.MultipleChoiceField(
        label=_("Kategorien (EU-Datenthemen)"),
        choices=[(c, t.de) for c, t in rules.THEMES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    licence = forms.ChoiceField(
        label=_("Lizenz"), choices=[(c, t.de) for c, t in rules.LICENCES.items()]
    )
    contact_name = forms.CharField(label=_("Ansprechpartner"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("E-Mail des Ansprechpartners"), required=False)
    landing_page = forms.URLField(
        label=_("Webseite zum Datensatz"), required=False, assume_scheme="https"
    )
    ars = forms.CharField(
        label=_("Räumliche Abdeckung: Regionalschlüssel (ARS)"),
        required=False,
        max_length=12,
        help_text=_("12 Ziffern, z. B. 160510000000 für Erfurt; leer: ohne Angabe"),
    )
    temporal_start = forms.DateField(
        label=_("Zeitraum von"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    temporal_end = forms.DateField(
        label=_("Zeitraum bis"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    accrual_periodicity = forms.ChoiceField(
        label=_("Aktualisierung"),
        choices=[("", "–"), *[(c, t.de) for c, t in rules.FREQUENCIES.items()]],
        required=False,
    )

    def clean_keywords(self) -> list[str]:
        raw = self.cleaned_data["keywords"]
        return [k.strip()[:100] for k in raw.split(",") if k.strip()]

    def clean_ars(self) -> Gebiet | None:
        ars = self.cleaned_data["ars"].strip()
        if not ars:
            return None
        gebiet = (
            gebiete_queries.current_gebiete().filter(ars=ars.ljust(12, "0")).order_by("pk").first()
        )
        if gebiet is None:
            raise forms.ValidationError(_("Zu diesem Regionalschlüssel gibt es kein Gebiet."))
        return gebiet

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("temporal_start"), data.get("temporal_end")
        if start and end and end < start:
            self.add_error("temporal_end", _("Der Zeitraum endet vor seinem Beginn."))
        return data

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["gebiet"] = data.pop("ars")
        return data


FORMAT_CHOICES = [(code, code) for code in rules.FORMATS]


class FileDistributionForm(forms.Form):
    file = forms.FileField(label=_("Datei"))
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES)
    title = forms.CharField(label=_("Bezeichnung"), max_length=300, required=False)


class UrlDistributionForm(forms.Form):
    access_url = forms.URLField(label=_("Adresse"), max_length=1000, assume_scheme="https")
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES)
    title = forms.CharField(label=_("Bezeichnung"), max_length=300, required=False)
