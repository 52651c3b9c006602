from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "verbund.casework"
    verbose_name = "Sachbearbeitung"
