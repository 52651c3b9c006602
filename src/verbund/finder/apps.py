from django.apps import AppConfig


class FinderConfig(AppConfig):
    name = "verbund.finder"
    verbose_name = "Zuständigkeitsfinder"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from verbund.authorities.types import Authority
        from verbund.core import page_cache
        from verbund.finder import cache
        from verbund.finder.models import CacheState, OfficeDistrict, OfficeKind, Zustaendigkeit
        from verbund.gebiete.types import Gebiet, Postleitzahl

        for model in (Gebiet, Postleitzahl, Authority, Zustaendigkeit, OfficeKind, OfficeDistrict):
            post_save.connect(cache.bump, sender=model, dispatch_uid=f"finder-{model.__name__}")
            post_delete.connect(cache.bump, sender=model, dispatch_uid=f"finder-d-{model.__name__}")
        m2m_changed.connect(
            cache.bump, sender=OfficeKind.services.through, dispatch_uid="finder-office-services"
        )
        # The public pages (decision 0031) change with every write the finder's token follows.
        table = CacheState._meta.db_table
        page_cache.add_token_source(f"SELECT token FROM {table} WHERE id = 1")  # noqa: S608
