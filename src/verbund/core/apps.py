from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "verbund.core"
    verbose_name = "Basis"
