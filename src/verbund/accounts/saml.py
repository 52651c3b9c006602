"""Verbund as SAML 2.0 service provider for BundID (DeutschlandID), with pysaml2.

The AuthnRequest asks for a minimum trust level (STORK-QAA, comparison `minimum`); the
Response must be signed by the IdP of the configured metadata, addressed to this SP
(audience), fresh, and answer an AuthnRequest of this session. Attributes arrive by OID
(`saml_attributes/bundid.py`); bPK2 is the stable identifier."""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse
from saml2.saml import AuthnContextClassRef
from saml2.samlp import RequestedAuthnContext
from saml2.sigver import SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly

from verbund.accounts.federation import FederatedLogin, FederationError
from verbund.accounts.rules import UnknownTrustLevel, stork_rank, trust_level_from_stork

ATTRIBUTE_MAP_DIR = str(Path(__file__).with_name("saml_attributes"))
PROVIDER = "bundid"


class SamlNotConfigured(Exception):
    pass


@dataclass(frozen=True)
class SpSettings:
    entity_id: str
    acs_url: str
    metadata_file: str
    key_file: str
    cert_file: str
    min_level: str
    xmlsec_binary: str


def is_configured() -> bool:
    return bool(settings.VERBUND_SAML_IDP_METADATA)


def sp_settings(*, base_url: str, acs_path: str, metadata_path: str) -> SpSettings:
    if not is_configured():
        raise SamlNotConfigured("VERBUND_SAML_IDP_METADATA is not set")
    key_file, cert_file = _sp_key_pair()
    base = base_url.rstrip("/")
    return SpSettings(
        entity_id=settings.VERBUND_SAML_SP_ENTITY_ID or base + metadata_path,
        acs_url=base + acs_path,
        metadata_file=settings.VERBUND_SAML_IDP_METADATA,
        key_file=key_file,
        cert_file=cert_file,
        min_level=settings.VERBUND_SAML_MIN_TRUST_LEVEL,
        xmlsec_binary=settings.VERBUND_SAML_XMLSEC_BINARY or shutil.which("xmlsec1") or "xmlsec1",
    )


def _sp_key_pair() -> tuple[str, str]:
    if settings.VERBUND_SAML_SP_KEY_FILE:
        return settings.VERBUND_SAML_SP_KEY_FILE, settings.VERBUND_SAML_SP_CERT_FILE
    folder = settings.STATE_DIR / "saml"
    key_file, cert_file = folder / "sp-key.pem", folder / "sp-cert.pem"
    if not key_file.exists() or not cert_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        key_pem, cert_pem = self_signed_pair("Verbund SAML SP")
        key_file.write_bytes(key_pem)
        key_file.chmod(0o600)
        cert_file.write_bytes(cert_pem)
    return str(key_file), str(cert_file)


def self_signed_pair(common_name: str, *, days: int = 3650) -> tuple[bytes, bytes]:
    """A 3072-bit RSA key and a self-signed certificate for it (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


@lru_cache(maxsize=8)
def _client(sp: SpSettings) -> Saml2Client:
    config = SPConfig()
    config.load(
        {
            "entityid": sp.entity_id,
            "xmlsec_binary": sp.xmlsec_binary,
            "key_file": sp.key_file,
            "cert_file": sp.cert_file,
            "encryption_keypairs": [{"key_file": sp.key_file, "cert_file": sp.cert_file}],
            "metadata": {"local": [sp.metadata_file]},
            "attribute_map_dir": ATTRIBUTE_MAP_DIR,
            "allow_unknown_attributes": True,
            "accepted_time_diff": 60,
            "service": {
                "sp": {
                    "name": "Verbund",
                    "endpoints": {"assertion_consumer_service": [(sp.acs_url, BINDING_HTTP_POST)]},
                    "authn_requests_signed": True,
                    "want_response_signed": False,
                    "want_assertions_signed": False,
                    # Either the whole Response or its Assertion must carry the IdP's
                    # signature; an unsigned answer is refused.
                    "want_assertions_or_response_signed": True,
                    "allow_unsolicited": False,
                    "name_id_format_allow_create": True,
                }
            },
        }
    )
    return Saml2Client(config=config)


def sp_metadata(sp: SpSettings) -> str:
    metadata = create_metadata_string(None, config=_client(sp).config, valid=None)
    return metadata.decode() if isinstance(metadata, bytes) else str(metadata)


def idp_entity_id(sp: SpSettings) -> str:
    client = _client(sp)
    idps = list(client.metadata.identity_providers())
    if len(idps) != 1:
        raise SamlNotConfigured("the metadata must describe exactly one identity provider")
    return str(idps[0])


def authn_request(sp: SpSettings, *, relay_state: str) -> tuple[str, str]:
    """Request id (keep it in the session) and the IdP URL to redirect the browser to,
    carrying a signed AuthnRequest for at least the configured trust level."""
    client = _client(sp)
    requested = RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=sp.min_level)],
        comparison="minimum",
    )
    request_id, info = client.prepare_for_authenticate(
        entityid=idp_entity_id(sp),
        relay_state=relay_state,
        binding=BINDING_HTTP_REDIRECT,
        requested_authn_context=requested,
    )
    location = dict(info["headers"])["Location"]
    return str(request_id), str(location)


def parse_response(
    sp: SpSettings, *, saml_response: str, outstanding: dict[str, str]
) -> FederatedLogin:
    """Check the IdP's answer and return who logged in, or raise FederationError with a
    message the person can act on."""
    client = _client(sp)
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding=outstanding
        )
    except (SigverError, IncorrectlySigned) as exc:
        raise FederationError(
            "Die Antwort von BundID trägt keine gültige Signatur und wurde abgelehnt.",
            code="saml_signature",
        ) from exc
    except (ResponseLifetimeExceed, ToEarly) as exc:
        raise FederationError(
            "Die Antwort von BundID ist abgelaufen oder noch nicht gültig. Bitte melden Sie "
            "sich erneut an.",
            code="saml_expired",
        ) from exc
    except UnsolicitedResponse as exc:
        raise FederationError(
            "Zu dieser Antwort von BundID gibt es keine Anmeldeanfrage in Ihrer Sitzung. "
            "Bitte starten Sie die Anmeldung erneut.",
            code="saml_unsolicited",
        ) from exc
    except StatusError as exc:
        raise FederationError(
            "Die Anmeldung bei BundID wurde abgebrochen oder abgelehnt.", code="saml_status"
        ) from exc
    except Exception as exc:  # pysaml2 raises bare Exceptions for several checks
        if "AudienceRestrictions" in str(exc):
            raise FederationError(
                "Die Antwort von BundID ist für einen anderen Dienst bestimmt und wurde abgelehnt.",
                code="saml_audience",
            ) from exc
        raise FederationError(
            "Die Antwort von BundID ist ungültig und wurde abgelehnt.", code="saml_invalid"
        ) from exc
    if response is None:
        raise FederationError(
            "Die Antwort von BundID ist ungültig und wurde abgelehnt.", code="saml_invalid"
        )
    return _login_from(response, min_level=sp.min_level)


def _first(ava: dict[str, list[Any]], name: str) -> str:
    values = ava.get(name) or []
    return str(values[0]).strip() if values else ""


def _login_from(response: Any, *, min_level: str) -> FederatedLogin:
    ava: dict[str, list[Any]] = response.ava or {}
    bpk2 = _first(ava, "bpk2")
    if not bpk2:
        raise FederationError(
            "BundID hat keine dauerhafte Kennung (bPK2) übermittelt; die Anmeldung ist so "
            "nicht möglich.",
            code="saml_no_subject",
        )
    class_refs = [str(ref) for ref, *_ in response.authn_info() if ref]
    reported = _first(ava, "trust_level") or (class_refs[0] if class_refs else "")
    try:
        reached = stork_rank(reported)
        trust_level = trust_level_from_stork(reported)
    except UnknownTrustLevel:
        raise FederationError(
            "BundID hat kein gültiges Vertrauensniveau übermittelt.", code="saml_trust_level"
        ) from None
    if reached < stork_rank(min_level):
        raise FederationError(
            f"Das Vertrauensniveau Ihrer Anmeldung ({reported}) reicht nicht aus; verlangt ist "
            f"mindestens {min_level}. Melden Sie sich bitte z. B. mit der Online-Ausweisfunktion "
            "an.",
            code="saml_trust_level_too_low",
        )
    birth = _first(ava, "birth_date")
    birth_date = None
    if birth:
        try:
            birth_date = datetime.date.fromisoformat(birth[:10])
        except ValueError:
            birth_date = None
    return FederatedLogin(
        provider=PROVIDER,
        subject=bpk2,
        trust_level=trust_level,
        email=_first(ava, "email"),
        given_name=_first(ava, "given_name"),
        family_name=_first(ava, "family_name"),
        birth_date=birth_date,
        street=_first(ava, "street"),
        postal_code=_first(ava, "postal_code"),
        city=_first(ava, "city"),
        postkorb_handle=_first(ava, "postkorb_handle"),
    )
