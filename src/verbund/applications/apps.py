from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "verbund.applications"
    verbose_name = "Anträge"

    def ready(self) -> None:
        from verbund.applications.queries import online_application_action
        from verbund.catalogue.extensions import register_service_action

        register_service_action(online_application_action)
        import verbund.integrations.payment.checks  # noqa: F401  (registers the deploy check)
