from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "verbund.costs"
    verbose_name = "Kostenverteilung"
