from django.apps import AppConfig


class TransparencyConfig(AppConfig):
    name = "verbund.transparency"
    verbose_name = "Transparenz"
