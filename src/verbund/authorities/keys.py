"""The authority's encryption key pair, as pure functions (no database).

FIT-Connect asks for an RSA key of 4096 bits per destination; submissions are JWE with
RSA-OAEP-256 key wrapping and A256GCM content encryption. The private key is never stored in
the clear: it is wrapped either with the platform's key-encryption key (demo and quick start)
or with a passphrase that only the authority's staff know (PBES2). In production the private
key stays with the authority and only the public key is registered (see decision 0005).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey, OKPKey, RSAKey

KEY_BITS = 4096
KEY_ALGORITHM = "RSA-OAEP-256"
CONTENT_ENCRYPTION = "A256GCM"
# OWASP's current recommendation for PBKDF2-HMAC-SHA512 is 210,000 iterations.
PASSPHRASE_ITERATIONS = 210_000
MIN_PASSPHRASE_LENGTH = 12
# Staff-held custody: an authority key is sealed to each staff member's X25519 key; that
# key is wrapped with scrypt over the member's key passphrase (OWASP: N=2^17, r=8, p=1).
STAFF_WRAP_ALGORITHM = "ECDH-ES+A256KW"
SCRYPT_R = 8
SCRYPT_P = 1


class UnusableKey(Exception):
    """A key that cannot be used: wrong type, too short, wrong wrapping secret."""


class _Registry(jwe.JWERegistry):
    # A private JWK of 4096 bits is about 3.2 KB; keep the library's other limits.
    max_ciphertext_length = 64 * 1024


_WRAP_REGISTRY = _Registry(
    algorithms=["dir", "PBES2-HS512+A256KW", STAFF_WRAP_ALGORITHM, CONTENT_ENCRYPTION]
)


def generate_key_pair(bits: int = KEY_BITS) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new RSA key pair as (public JWK, private JWK), without `kid` (the caller names it)."""
    key = RSAKey.generate_key(bits, private=True)
    return dict(key.as_dict(private=False)), dict(key.as_dict(private=True))


def public_jwk_for_encryption(public_jwk: dict[str, Any], kid: str) -> dict[str, Any]:
    """The public key as FIT-Connect publishes it: usable only for wrapping content keys."""
    return {
        "kty": "RSA",
        "n": public_jwk["n"],
        "e": public_jwk["e"],
        "kid": kid,
        "alg": KEY_ALGORITHM,
        "use": "enc",
        "key_ops": ["wrapKey"],
    }


def validate_public_jwk(jwk: dict[str, Any], *, min_bits: int = KEY_BITS) -> dict[str, Any]:
    """Check that a JWK is a public RSA key of at least `min_bits`; return its public part."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or "n" not in jwk or "e" not in jwk:
        raise UnusableKey("Der Schlüssel ist kein öffentlicher RSA-Schlüssel (JWK mit kty, n, e).")
    if "d" in jwk:
        raise UnusableKey(
            "Es darf nur der öffentliche Schlüssel übergeben werden, nie der private."
        )
    try:
        key = RSAKey.import_key({"kty": "RSA", "n": jwk["n"], "e": jwk["e"]})
    except (JoseError, ValueError, TypeError) as exc:
        raise UnusableKey(f"Der Schlüssel ist nicht lesbar: {exc}") from None
    bits = key.raw_value.key_size
    if bits < min_bits:
        raise UnusableKey(f"Der Schlüssel hat {bits} Bit; verlangt sind mindestens {min_bits}.")
    return dict(key.as_dict(private=False))


def derive_key_encryption_key(secret: str) -> bytes:
    """32 bytes for A256GCM from a configured secret (base64url of 32 bytes, or any text)."""
    try:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        if len(raw) == 32:
            return raw
    except ValueError:
        pass
    return hashlib.sha256(b"verbund-key-encryption-key:" + secret.encode()).digest()


def wrap_with_kek(private_jwk: dict[str, Any], kek: bytes) -> str:
    """The private JWK encrypted with the platform's key-encryption key (JWE dir/A256GCM)."""
    return jwe.encrypt_compact(
        {"alg": "dir", "enc": CONTENT_ENCRYPTION, "cty": "jwk+json"},
        json.dumps(private_jwk),
        OctKey.import_key(kek),
        registry=_WRAP_REGISTRY,
    )


def wrap_with_passphrase(private_jwk: dict[str, Any], passphrase: str) -> str:
    """The private JWK encrypted with a key derived from a passphrase (JWE PBES2)."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise UnusableKey(
            f"Die Passphrase muss mindestens {MIN_PASSPHRASE_LENGTH} Zeichen lang sein."
        )
    return jwe.encrypt_compact(
        {
            "alg": "PBES2-HS512+A256KW",
            "enc": CONTENT_ENCRYPTION,
            "cty": "jwk+json",
            "p2c": PASSPHRASE_ITERATIONS,
        },
        json.dumps(private_jwk),
        OctKey.import_key(passphrase.encode()),
        registry=_WRAP_REGISTRY,
    )


def unwrap(wrapped: str, secret: bytes) -> dict[str, Any]:
    """The private JWK from its wrapping; UnusableKey when the secret is wrong."""
    try:
        result = jwe.decrypt_compact(wrapped, OctKey.import_key(secret), registry=_WRAP_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise UnusableKey("Der private Schlüssel lässt sich damit nicht entschlüsseln.") from exc
    assert result.plaintext is not None
    value: dict[str, Any] = json.loads(result.plaintext)
    return value


# Staff-held custody (decision 0027): like an organisation key in an end-to-end encrypted
# password manager, the authority's private key is sealed to every member's own key pair,
# whose private half only the member's passphrase opens.


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise UnusableKey(
            f"Die Passphrase muss mindestens {MIN_PASSPHRASE_LENGTH} Zeichen lang sein."
        )


def generate_staff_key_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """A member's own key pair (X25519) as (public JWK, private JWK)."""
    key = OKPKey.generate_key("X25519", private=True)
    return dict(key.as_dict(private=False)), dict(key.as_dict(private=True))


def derive_passphrase_key(passphrase: str, kdf: dict[str, Any]) -> bytes:
    """32 bytes from the passphrase by scrypt with the stored salt and cost."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt = base64.urlsafe_b64decode(str(kdf["salt"]) + "=" * (-len(str(kdf["salt"])) % 4))
    return Scrypt(salt=salt, length=32, n=int(kdf["n"]), r=int(kdf["r"]), p=int(kdf["p"])).derive(
        passphrase.encode()
    )


def new_kdf_parameters(cost: int) -> dict[str, Any]:
    """Fresh scrypt parameters: 16 random bytes of salt, N = 2^cost."""
    salt = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
    return {"alg": "scrypt", "salt": salt, "n": 2**cost, "r": SCRYPT_R, "p": SCRYPT_P}


def seal_private_key(private_jwk: dict[str, Any], recipient_public_jwk: dict[str, Any]) -> str:
    """The authority's private JWK sealed to one member's public key (JWE ECDH-ES+A256KW)."""
    return jwe.encrypt_compact(
        {"alg": STAFF_WRAP_ALGORITHM, "enc": CONTENT_ENCRYPTION, "cty": "jwk+json"},
        json.dumps(private_jwk),
        OKPKey.import_key(recipient_public_jwk),
        registry=_WRAP_REGISTRY,
    )


def open_sealed_private_key(sealed: str, recipient_private_jwk: dict[str, Any]) -> dict[str, Any]:
    """The authority's private JWK from a member's seal; UnusableKey for a wrong key."""
    try:
        result = jwe.decrypt_compact(
            sealed, OKPKey.import_key(recipient_private_jwk), registry=_WRAP_REGISTRY
        )
    except (JoseError, ValueError) as exc:
        raise UnusableKey("Der private Schlüssel lässt sich damit nicht entschlüsseln.") from exc
    assert result.plaintext is not None
    value: dict[str, Any] = json.loads(result.plaintext)
    return value
