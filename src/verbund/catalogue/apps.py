from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "verbund.catalogue"
    verbose_name = "Leistungskatalog"

    def ready(self) -> None:
        from verbund.catalogue import models
        from verbund.catalogue.queries import search_index_version_sql
        from verbund.core import page_cache

        # What the public pages show (decision 0031); the index is rebuilt by bulk writes.
        page_cache.watch(
            models.Themenfeld,
            models.Lebenslage,
            models.OzgLeistung,
            models.Service,
            models.LebenslageService,
            models.AuthorityServiceText,
        )
        page_cache.add_token_source(search_index_version_sql())
