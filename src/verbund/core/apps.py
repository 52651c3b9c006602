from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "verbund.core"
    verbose_name = "Basis"

    def ready(self) -> None:
        import verbund.core.checks  # noqa: F401  (registers the deployment checks)
