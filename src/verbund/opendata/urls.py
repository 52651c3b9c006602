from django.urls import path, register_converter

from verbund.opendata import ckan, views


class RdfExtension:
    regex = "ttl|rdf|jsonld"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RdfExtension, "rdfext")

app_name = "opendata"
urlpatterns = [
    # CKAN serves its Action API under both prefixes, and clients use either.
    path("api/3/action/<str:name>", ckan.action, name="ckan_action"),
    path("api/action/<str:name>", ckan.action, name="ckan_action_unversioned"),
    path("daten/katalog.<rdfext:ext>", views.catalog_export, name="catalog_export"),
    path("daten/<slug:name>/dateien/<uuid:distribution_id>", views.download, name="download"),
    path("daten/<slug:name>.<rdfext:ext>", views.dataset_export, name="dataset_export"),
]
