"""JWE for submissions (FIT-Connect: RSA-OAEP-256 + A256GCM, compact serialisation).

Pure functions: `seal` encrypts to an authority's public key; `open_sealed` decrypts with the
private key and fails on any change to the ciphertext (AES-GCM authenticates it);
`check_sealed` inspects a JWE the platform cannot read (header only).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateNumbers, RSAPublicNumbers
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from joserfc.util import base64_to_int

ALG = "RSA-OAEP-256"
ENC = "A256GCM"


class SealError(Exception):
    """A JWE that is malformed, uses other algorithms, another key, or was tampered with."""


class _Registry(jwe.JWERegistry):
    # attachments may be large; the platform's own limit is checked before this
    max_ciphertext_length = 1024 * 1024 * 1024


_REGISTRY = _Registry(algorithms=[ALG, ENC])
_B64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def canonical_json(data: Any) -> bytes:
    """The byte form whose SHA-256 the receipt names: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal(content: bytes, public_jwk: dict[str, Any], *, cty: str = "") -> str:
    header = {"alg": ALG, "enc": ENC, "kid": public_jwk["kid"], "zip": None}
    header.pop("zip")
    if cty:
        header["cty"] = cty
    key = RSAKey.import_key({k: public_jwk[k] for k in ("kty", "n", "e")})
    return jwe.encrypt_compact(header, content, key, registry=_REGISTRY)


# Fingerprints (SHA-256 of the whole private JWK) of the keys OpenSSL has checked in this
# process; never the keys themselves. See `private_key_from_jwk`.
_checked: set[str] = set()
_checked_lock = threading.Lock()
_PRIVATE_PARTS = ("d", "p", "q", "dp", "dq", "qi")


def private_key_from_jwk(private_jwk: dict[str, Any]) -> RSAKey:
    """The RSA key object of a private JWK, checked by OpenSSL once per process (decision 0031).

    OpenSSL's consistency check of a 4096-bit private key (primality of p and q, among
    others) costs about half a second; it guards against malformed keys. A key whose exact
    bytes passed it once in this process cannot fail it again, so later loads skip it."""
    fingerprint = sha256_hex(canonical_json(private_jwk))
    if fingerprint not in _checked or not all(part in private_jwk for part in _PRIVATE_PARTS):
        key = RSAKey.import_key(private_jwk)  # the full check
        with _checked_lock:
            _checked.add(fingerprint)
        return key
    number = {part: base64_to_int(private_jwk[part]) for part in ("n", "e", *_PRIVATE_PARTS)}
    numbers = RSAPrivateNumbers(
        p=number["p"],
        q=number["q"],
        d=number["d"],
        dmp1=number["dp"],
        dmq1=number["dq"],
        iqmp=number["qi"],
        public_numbers=RSAPublicNumbers(e=number["e"], n=number["n"]),
    )
    return RSAKey(numbers.private_key(unsafe_skip_rsa_key_validation=True), private_jwk)


def open_sealed(token: str | bytes, private_jwk: dict[str, Any]) -> bytes:
    try:
        result = jwe.decrypt_compact(token, private_key_from_jwk(private_jwk), registry=_REGISTRY)
    except (JoseError, ValueError, TypeError) as exc:
        raise SealError("Die Daten lassen sich nicht entschlüsseln oder wurden verändert.") from exc
    assert result.plaintext is not None
    return result.plaintext


@dataclass(frozen=True)
class SealedInfo:
    kid: str
    cty: str


def check_sealed(token: str, *, kid: str) -> SealedInfo:
    """Check a JWE from a sender without reading it: compact form, algorithms, our key."""
    parts = token.strip().split(".")
    if len(parts) != 5 or not all(parts[i] for i in (0, 2, 3, 4)):
        raise SealError("Kein JWE in kompakter Serialisierung (fünf Teile mit Punkten getrennt).")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
        for part in parts[1:]:
            # base64url alphabet only; the translate runs in C, unlike decoding the (large)
            # ciphertext, whose content the platform cannot check anyway
            raw = part.encode("ascii")
            if raw.translate(None, _B64URL) or len(raw) % 4 == 1:
                raise ValueError(part[:10])
    except (ValueError, UnicodeError):
        raise SealError("Der JWE ist nicht in base64url kodiert.") from None
    if not isinstance(header, dict):
        raise SealError("Der Kopf des JWE ist kein JSON-Objekt.")
    if header.get("alg") != ALG or header.get("enc") != ENC:
        raise SealError(f"Der JWE muss alg {ALG} und enc {ENC} verwenden.")
    if header.get("kid") != kid:
        raise SealError(
            f"Der JWE ist nicht für den Schlüssel {kid} des Zustellpunkts verschlüsselt."
        )
    if "zip" in header:
        raise SealError("Komprimierte JWE (zip) werden nicht angenommen.")
    return SealedInfo(kid=str(header["kid"]), cty=str(header.get("cty", "")))
