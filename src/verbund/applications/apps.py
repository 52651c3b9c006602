from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "verbund.applications"
    verbose_name = "Anträge"

    def ready(self) -> None:
        from verbund.applications.models import FormDefinition, FormVersion
        from verbund.applications.queries import online_application_action, online_offer
        from verbund.catalogue.extensions import register_service_action
        from verbund.core import page_cache
        from verbund.finder.extensions import register_online_offer

        register_service_action(online_application_action)
        register_online_offer(online_offer)
        # "Online beantragen" on the public pages follows the published forms (decision 0031).
        page_cache.watch(FormDefinition, FormVersion)
        import verbund.integrations.payment.checks  # noqa: F401  (registers the deploy check)
