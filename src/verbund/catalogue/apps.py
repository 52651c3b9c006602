from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


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
        post_migrate.connect(_search_index_current, sender=self)


def _search_index_current(
    using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, stdout: Any = None, **_: Any
) -> None:
    """After `migrate` (every upgrade runs it through `verbund setup`): an index another
    release's analyser built is rebuilt, so queries and stored stems agree."""
    if using != DEFAULT_DB_ALIAS:
        return
    from django.db import DatabaseError

    from verbund.catalogue.actions import ensure_search_index

    try:
        counts = ensure_search_index(actor="migrate")
    except DatabaseError:
        return  # migrated back behind the catalogue's tables: nothing to keep current
    if counts is not None and verbosity and stdout is not None:
        stdout.write(
            f"  Suchindex neu aufgebaut (neue Textanalyse): {counts['services']} Leistungen.\n"
        )
