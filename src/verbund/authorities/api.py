"""Public API of the authority directory."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from verbund.authorities import queries
from verbund.authorities.types import AuthorityOut, authority_out
from verbund.core.schemas import Problem
from verbund.gebiete import queries as gebiete_queries

router = Router(tags=["Behörden"])


class AuthorityList(Schema):
    items: list[AuthorityOut]
    count: int


@router.get(
    "/authorities",
    response={200: AuthorityList, 404: Problem, 422: Problem},
    summary="Behörden, die für eine Gemeinde zuständig sein können",
    description="Die eigene Verwaltung der Gemeinde, die Verwaltungsgemeinschaft oder "
    "erfüllende Gemeinde, der Kreis (oder die kreisfreie Stadt) und die Landesbehörden.",
)
def list_authorities(request: HttpRequest, ags: str) -> AuthorityList:
    gemeinde = gebiete_queries.get_gemeinde(ags)
    found = queries.authorities_serving(gemeinde.current_successor())
    return AuthorityList(items=[authority_out(a) for a in found], count=len(found))


@router.get(
    "/authorities/{authority_id}",
    response={200: AuthorityOut, 404: Problem},
    summary="Eine Behörde",
)
def get_authority(request: HttpRequest, authority_id: int) -> AuthorityOut:
    return authority_out(queries.get_authority_by_id(authority_id))
