from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "verbund.opendata"
    verbose_name = "Offene Daten"
