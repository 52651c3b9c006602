from django.apps import AppConfig


class EinvoicesConfig(AppConfig):
    name = "verbund.einvoices"
    verbose_name = "E-Rechnung"

    def ready(self) -> None:
        from verbund.core import health
        from verbund.einvoices.health import EINVOICE_RULES_MESSAGE, check_einvoice_rules
        from verbund.einvoices.validation.ruleset import RulesUnavailable

        health.register_check(check_einvoice_rules)
        health.register_outage(RulesUnavailable, EINVOICE_RULES_MESSAGE)
