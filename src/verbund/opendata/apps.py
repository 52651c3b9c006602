from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "verbund.opendata"
    verbose_name = "Offene Daten"

    def ready(self) -> None:
        from verbund.authorities.types import Authority
        from verbund.core import page_cache
        from verbund.opendata.models import Dataset, Distribution

        # The cached search counts (search_counts.py) are keyed to the generation token:
        # a dataset, a distribution or a publisher's slug changes them.
        page_cache.watch(Dataset, Distribution, Authority)
