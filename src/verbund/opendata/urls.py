from django.urls import path, register_converter

from verbund.opendata import views


class RdfExtension:
    regex = "ttl|rdf|jsonld"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RdfExtension, "rdfext")

app_name = "opendata"
urlpatterns = [
    path("daten/katalog.<rdfext:ext>", views.catalog_export, name="catalog_export"),
    path("daten/<slug:name>.<rdfext:ext>", views.dataset_export, name="dataset_export"),
]
