"""SAML attribute names of BundID (DeutschlandID), URI name format, as pysaml2 attribute
map: the OIDs on the wire ↔ the names Verbund uses. OIDs from the BundID interface
description (see docs/decisions/0007-servicekonto.md)."""

FROM_OID = {
    "urn:oid:1.3.6.1.4.1.25484.494450.3": "bpk2",
    "urn:oid:2.5.4.18": "postkorb_handle",
    "urn:oid:1.2.40.0.10.2.1.1.261.94": "trust_level",
    "urn:oid:2.5.4.42": "given_name",
    "urn:oid:2.5.4.4": "family_name",
    "urn:oid:0.9.2342.19200300.100.1.3": "email",
    "urn:oid:1.2.40.0.10.2.1.1.55": "birth_date",
    "urn:oid:2.5.4.16": "street",
    "urn:oid:2.5.4.17": "postal_code",
    "urn:oid:2.5.4.7": "city",
}
MAP = {
    "identifier": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    "fro": FROM_OID,
    "to": {name: oid for oid, name in FROM_OID.items()},
}
