from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "verbund.accounts"
    verbose_name = "Servicekonto"

    def ready(self) -> None:
        # Django admin logs in through the Servicekonto, so that its throttle and second
        # factor apply there too (admin's own login form would bypass both).
        from django.contrib import admin

        import verbund.accounts.checks  # noqa: F401  (registers the deployment check)
        from verbund.accounts.views import admin_login

        admin.site.login = admin_login  # type: ignore[method-assign]
