"""Public API of the authority directory."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from verbund.authorities import queries
from verbund.authorities.models import Authority
from verbund.gebiete import queries as gebiete_queries
from verbund.gebiete.api import Problem

router = Router(tags=["Behörden"])


class GebietRef(Schema):
    ars: str
    ags: str
    name: str
    type: str
    level: str


class Address(Schema):
    street: str
    postal_code: str
    city: str


class AddressBlock(Schema):
    postal: Address
    visitor: Address


class Contact(Schema):
    phone: str
    fax: str
    email: str
    website: str
    opening_hours: str


class AuthorityOut(Schema):
    id: int
    slug: str
    name: str
    kind: str
    gebiet: GebietRef
    address: AddressBlock
    contact: Contact
    leitweg_ids: list[str]
    tenant: bool
    demo_data: bool


class AuthorityList(Schema):
    items: list[AuthorityOut]
    count: int


def authority_out(authority: Authority) -> AuthorityOut:
    gebiet = authority.gebiet
    return AuthorityOut(
        id=authority.pk,
        slug=authority.slug,
        name=authority.name,
        kind=authority.kind,
        gebiet=GebietRef(
            ars=gebiet.ars, ags=gebiet.ags, name=gebiet.name, type=gebiet.type, level=gebiet.level
        ),
        address=AddressBlock(
            postal=Address(
                street=authority.postal_street,
                postal_code=authority.postal_code,
                city=authority.postal_city,
            ),
            visitor=Address(
                street=authority.visitor_street,
                postal_code=authority.visitor_code,
                city=authority.visitor_city,
            ),
        ),
        contact=Contact(
            phone=authority.phone,
            fax=authority.fax,
            email=authority.email,
            website=authority.website,
            opening_hours=authority.opening_hours,
        ),
        leitweg_ids=[lw.value for lw in authority.leitweg_ids.all() if lw.active],
        tenant=authority.is_tenant,
        demo_data=authority.is_demo_data,
    )


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
