"""Hooks for the domains that build on gebiete (the authority directory registers here).

    from verbund.gebiete.extensions import register_authority_lookup
    register_authority_lookup(administration_of=..., authorities_serving=...)  # in ready()

The pages of a Kreis and a Gemeinde name the administration of the unit and the authorities
serving it; gebiete asks through these hooks, so that it imports no higher domain (decision
0023). Without a registration the pages show neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from verbund.gebiete.models import Gebiet

AdministrationOf = Callable[[Gebiet], Any]
AuthoritiesServing = Callable[[Gebiet], list[Any]]

_lookups: dict[str, Any] = {}


def register_authority_lookup(
    *, administration_of: AdministrationOf, authorities_serving: AuthoritiesServing
) -> None:
    _lookups["administration_of"] = administration_of
    _lookups["authorities_serving"] = authorities_serving


def administration_of(unit: Gebiet) -> Any:
    """The general administration of the unit (an authority), or None."""
    lookup: AdministrationOf | None = _lookups.get("administration_of")
    return lookup(unit) if lookup else None


def authorities_serving(unit: Gebiet) -> list[Any]:
    """The authorities whose area includes the Gemeinde."""
    lookup: AuthoritiesServing | None = _lookups.get("authorities_serving")
    return lookup(unit) if lookup else []
