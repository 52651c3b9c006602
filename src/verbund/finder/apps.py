from django.apps import AppConfig


class FinderConfig(AppConfig):
    name = "verbund.finder"
    verbose_name = "Zuständigkeitsfinder"
