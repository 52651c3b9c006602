from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "verbund.cooperation"
    verbose_name = "Zusammenarbeit im Verbund"

    def ready(self) -> None:
        from verbund.applications.extensions import on_released, register_online_gate
        from verbund.cooperation import actions
        from verbund.cooperation.queries import online_gate

        register_online_gate(online_gate)
        on_released(actions.on_submission_released)
