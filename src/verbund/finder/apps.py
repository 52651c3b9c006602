from django.apps import AppConfig


class FinderConfig(AppConfig):
    name = "verbund.finder"
    verbose_name = "Zuständigkeitsfinder"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from verbund.authorities.types import Authority
        from verbund.finder import cache
        from verbund.finder.models import Zustaendigkeit
        from verbund.gebiete.types import Gebiet, Postleitzahl

        for model in (Gebiet, Postleitzahl, Authority, Zustaendigkeit):
            post_save.connect(cache.bump, sender=model, dispatch_uid=f"finder-{model.__name__}")
            post_delete.connect(cache.bump, sender=model, dispatch_uid=f"finder-d-{model.__name__}")
