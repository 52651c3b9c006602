"""Extension point of the service page: domains above the catalogue (online applications,
appointments, …) offer actions for a service without the catalogue importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from verbund.catalogue.models import Service


@dataclass(frozen=True)
class ServiceAction:
    label: str
    url: str
    primary: bool = False


ActionProvider = Callable[[Service], ServiceAction | None]
_providers: list[ActionProvider] = []


def register_service_action(provider: ActionProvider) -> None:
    """Called from an AppConfig.ready(); the provider answers None when it has nothing."""
    if provider not in _providers:
        _providers.append(provider)


def service_actions(service: Service) -> list[ServiceAction]:
    found = (provider(service) for provider in _providers)
    return [action for action in found if action is not None]
