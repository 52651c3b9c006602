from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "verbund.cooperation"
    verbose_name = "Zusammenarbeit im Verbund"

    def ready(self) -> None:
        from verbund.applications.extensions import on_released, register_online_gate
        from verbund.cooperation import actions, models
        from verbund.cooperation.queries import online_gate
        from verbund.core import page_cache

        register_online_gate(online_gate)
        on_released(actions.on_submission_released)
        # The rollout decides "Online beantragen" on the public pages (decision 0031).
        page_cache.watch(
            models.LandOperator,
            models.Membership,
            models.SharedService,
            models.Activation,
            models.TextRevision,
        )
