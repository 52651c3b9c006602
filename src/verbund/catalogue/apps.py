from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "verbund.catalogue"
    verbose_name = "Leistungskatalog"
