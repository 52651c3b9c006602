from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "verbund.mailbox"
    verbose_name = "Postfach"

    def ready(self) -> None:
        from verbund.accounts.account_data import register_account_data, use_account_template
        from verbund.mailbox import queries

        # The account page shows the status monitor; the export carries the Postfach.
        use_account_template("mailbox/account.html")
        register_account_data("mailbox", export=queries.export_for_user)
