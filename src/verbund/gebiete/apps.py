from django.apps import AppConfig


class GebieteConfig(AppConfig):
    name = "verbund.gebiete"
    verbose_name = "Gebiete"
