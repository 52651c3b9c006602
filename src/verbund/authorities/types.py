"""The types of the authority directory that other domains name (decision 0023): the models
and enums, the Leitweg-ID value, and the API shape other domains embed."""

from __future__ import annotations

from ninja import Schema

from verbund.authorities.models import (
    Authority,
    AuthorityKind,
    EncryptionKey,
    KeyProtection,
    StaffMembership,
    StaffRole,
    TenantStatus,
)
from verbund.authorities.rules import LeitwegId, make_leitweg_id

__all__ = [
    "Authority",
    "AuthorityKind",
    "EncryptionKey",
    "KeyProtection",
    "LeitwegId",
    "StaffMembership",
    "StaffRole",
    "TenantStatus",
    "make_leitweg_id",
]


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
