from typing import Any

from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate


class CatalogueConfig(AppConfig):
    name = "verbund.catalogue"
    verbose_name = "Leistungskatalog"

    def ready(self) -> None:
        from verbund.catalogue import language, models
        from verbund.catalogue.queries import search_index_version_sql
        from verbund.core import page_cache, warmup

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
        # The search's common-word lists (wordfreq, 0.3 s and 3 MB) load before the server
        # forks, not on a worker's first query that needs them.
        warmup.register(language.load_word_lists)
        post_migrate.connect(_search_index_current, sender=self)


def _search_index_current(
    using: str = DEFAULT_DB_ALIAS,
    verbosity: int = 1,
    stdout: Any = None,
    apps: Any = None,
    **_: Any,
) -> None:
    """After `migrate` (every upgrade runs it through `verbund setup`): an index another
    release's analyser built is rebuilt, so queries and stored stems agree."""
    if using != DEFAULT_DB_ALIAS or not _migrated_to_analysis(apps):
        return
    from verbund.catalogue.actions import ensure_search_index

    counts = ensure_search_index(actor="migrate")
    if counts is not None and verbosity and stdout is not None:
        stdout.write(
            f"  Suchindex neu aufgebaut (neue Textanalyse): {counts['services']} Leistungen.\n"
        )


def _migrated_to_analysis(apps: Any) -> bool:
    """Whether the database has the index state's `analysis` column (not after migrating
    the catalogue back behind migration 0006)."""
    if apps is None:
        return True
    try:
        state = apps.get_model("catalogue", "SearchIndexState")
    except LookupError:
        return False
    return any(field.name == "analysis" for field in state._meta.get_fields())
