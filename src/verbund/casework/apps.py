from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "verbund.casework"
    verbose_name = "Sachbearbeitung"

    def ready(self) -> None:
        from verbund.applications.extensions import on_released
        from verbund.casework import actions
        from verbund.mailbox.extensions import on_reply

        on_released(actions.on_submission_released)
        on_reply(actions.on_reply)
