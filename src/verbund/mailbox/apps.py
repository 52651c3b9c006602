from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "verbund.mailbox"
    verbose_name = "Postfach"
