from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "verbund.cooperation"
    verbose_name = "Zusammenarbeit im Verbund"

    def ready(self) -> None:
        from verbund.applications.extensions import register_online_gate
        from verbund.cooperation.queries import online_gate

        register_online_gate(online_gate)
