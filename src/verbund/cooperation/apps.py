from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "verbund.cooperation"
    verbose_name = "Zusammenarbeit im Verbund"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from verbund.applications.extensions import on_released, register_online_gate
        from verbund.cooperation import actions, models
        from verbund.cooperation.queries import forget_gates, online_gate
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
        # The API keeps the gate's answers per process; a rollout change forgets them here.
        for model in (models.Membership, models.SharedService, models.Activation):
            name = model._meta.label
            post_save.connect(forget_gates, sender=model, dispatch_uid=f"gate-{name}")
            post_delete.connect(forget_gates, sender=model, dispatch_uid=f"gate-d-{name}")
