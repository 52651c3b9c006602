from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "verbund.applications"
    verbose_name = "Anträge"
