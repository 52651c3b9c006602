from django.apps import AppConfig


class EinvoicesConfig(AppConfig):
    name = "verbund.einvoices"
    verbose_name = "E-Rechnung"
