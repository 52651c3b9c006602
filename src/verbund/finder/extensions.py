"""Extension point of the finder's answer: domains above the finder (online applications)
say whether the service can be applied for online where the answer's authority is
responsible, without the finder importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from verbund.authorities.types import Authority
from verbund.catalogue.types import Service


@dataclass(frozen=True)
class OnlineOffer:
    """`url` when the service can be applied for online there; otherwise `note` says so."""

    url: str = ""
    note: str = ""


OfferProvider = Callable[[Service, Authority, str], OnlineOffer | None]
_providers: list[OfferProvider] = []


def register_online_offer(provider: OfferProvider) -> None:
    """Called from an AppConfig.ready(); the provider answers None when it has nothing."""
    if provider not in _providers:
        _providers.append(provider)


def online_offers(service: Service, authority: Authority, gemeinde_ags: str) -> list[OnlineOffer]:
    found = (provider(service, authority, gemeinde_ags) for provider in _providers)
    return [offer for offer in found if offer is not None]
