from django.apps import AppConfig


class AuthoritiesConfig(AppConfig):
    name = "verbund.authorities"
    verbose_name = "Behörden"

    def ready(self) -> None:
        import verbund.authorities.checks  # noqa: F401  (registers the deployment check)
        from verbund.authorities import queries
        from verbund.gebiete.extensions import register_authority_lookup

        # The pages of a Kreis and a Gemeinde name their administration and authorities.
        register_authority_lookup(
            administration_of=queries.administration_of,
            authorities_serving=queries.authorities_serving,
        )
