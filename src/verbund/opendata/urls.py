from django.urls import path, register_converter

from verbund.opendata import backoffice, ckan, views


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
    path("daten/", views.catalogue, name="catalogue"),
    path("daten/verwaltung/", backoffice.my_catalogues, name="my_catalogues"),
    path("behoerde/<slug:slug>/daten/", backoffice.authority_datasets, name="authority_datasets"),
    path("behoerde/<slug:slug>/daten/neu/", backoffice.create, name="create"),
    path("daten/verwaltung/<uuid:dataset_id>/", backoffice.edit, name="edit"),
    path("daten/verwaltung/<uuid:dataset_id>/datei/", backoffice.add_file, name="add_file"),
    path("daten/verwaltung/<uuid:dataset_id>/adresse/", backoffice.add_url, name="add_url"),
    path("daten/verwaltung/<uuid:dataset_id>/status/", backoffice.publish, name="publish"),
    path(
        "daten/verwaltung/distribution/<uuid:distribution_id>/entfernen/",
        backoffice.remove_distribution,
        name="remove_distribution",
    ),
    path("daten/katalog.<rdfext:ext>", views.catalog_export, name="catalog_export"),
    path("daten/<slug:name>/dateien/<uuid:distribution_id>", views.download, name="download"),
    path("daten/<slug:name>.<rdfext:ext>", views.dataset_export, name="dataset_export"),
    path("daten/<slug:name>/", views.dataset_page, name="dataset"),
    path(
        "daten/<slug:name>/distribution/<uuid:distribution_id>",
        views.distribution_page,
        name="distribution",
    ),
]
