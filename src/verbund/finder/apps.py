from django.apps import AppConfig


class FinderConfig(AppConfig):
    name = "verbund.finder"
    verbose_name = "Zuständigkeitsfinder"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from verbund.authorities.types import Authority
        from verbund.finder import cache
        from verbund.finder.models import OfficeDistrict, OfficeKind, Zustaendigkeit
        from verbund.gebiete.types import Gebiet, Postleitzahl

        for model in (Gebiet, Postleitzahl, Authority, Zustaendigkeit, OfficeKind, OfficeDistrict):
            post_save.connect(cache.bump, sender=model, dispatch_uid=f"finder-{model.__name__}")
            post_delete.connect(cache.bump, sender=model, dispatch_uid=f"finder-d-{model.__name__}")
        m2m_changed.connect(
            cache.bump, sender=OfficeKind.services.through, dispatch_uid="finder-office-services"
        )
