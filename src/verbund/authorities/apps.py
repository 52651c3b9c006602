from django.apps import AppConfig


class AuthoritiesConfig(AppConfig):
    name = "verbund.authorities"
    verbose_name = "Behörden"
