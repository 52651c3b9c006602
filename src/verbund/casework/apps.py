from importlib.util import find_spec

from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "verbund.casework"
    verbose_name = "Sachbearbeitung"

    def ready(self) -> None:
        from verbund.applications.extensions import on_released
        from verbund.casework import actions

        on_released(actions.on_submission_released)
        if find_spec("verbund.mailbox.extensions") is not None:
            from verbund.mailbox.extensions import on_reply

            on_reply(actions.on_reply)
