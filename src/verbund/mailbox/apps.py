from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "verbund.mailbox"
    verbose_name = "Postfach"

    def ready(self) -> None:
        from verbund.accounts.extensions import register_account_data, use_account_template
        from verbund.applications.extensions import (
            register_access_throttle,
            register_receipt_delivery,
        )
        from verbund.mailbox import actions, queries

        # The account page shows the status monitor; the export carries the Postfach.
        use_account_template("mailbox/account.html")
        register_account_data("mailbox", export=queries.export_for_user)
        # The status lookup by Vorgangsnummer and access code shares the Postfach's limit.
        register_access_throttle(
            blocked=lambda number, ip: (
                queries.anonymous_access_throttle(vorgangsnummer=number, ip_address=ip).blocked
            ),
            record_failure=lambda number, ip: actions.record_access_failure(
                vorgangsnummer=number, ip_address=ip
            ),
        )
        # The receipt goes into the applicant's Postfach at once (decision 0024).
        register_receipt_delivery(
            to_postfach=lambda *, submission, subject, body, filename, pdf: actions.post_message(
                submission=submission,
                sender_authority=submission.authority,
                kind="info",
                subject=subject,
                body=body,
                attachments=[
                    actions.OutgoingAttachment(
                        filename=filename, media_type="application/pdf", content=pdf
                    )
                ],
                notify=False,
                actor="verbund",
            ),
            notification_address=lambda *, submission, email: actions.set_notification_email(
                submission=submission, email=email, actor="antragsteller"
            ),
        )
