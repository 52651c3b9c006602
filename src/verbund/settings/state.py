"""The keys in the state directory: read by the settings, created only by `verbund setup`.

A server that finds no key must not make one: a new secret key, OIDC key or profile key
silently invalidates sessions, signed tokens and every encrypted profile of an existing
installation (a wrong or empty `VERBUND_STATE_DIR` looked like a fresh one). So the settings
only read these files, `verbund serve` refuses to start without them and names them
(`verbund.core.health.missing_state`), and `verbund setup` (`make setup`) creates them.

Imports only the standard library at load time: the settings module uses it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StateKey:
    filename: str
    label: str
    setting: str


SECRET_KEY = StateKey("secret-key", "geheimer Schlüssel (SECRET_KEY)", "SECRET_KEY")
OIDC_KEY = StateKey(
    "oidc-signing-key.pem",
    "Signaturschlüssel des OpenID-Providers",
    "VERBUND_OIDC_PRIVATE_KEY_FILE",
)
PROFILE_KEY = StateKey(
    "profile-key",
    "Schlüssel der Profildaten",
    "VERBUND_PROFILE_ENCRYPTION_KEYS",
)
KEYS = (SECRET_KEY, OIDC_KEY, PROFILE_KEY)


def read_key(state_dir: Path, key: StateKey) -> str:
    """The key's file content, or "" when the file does not exist (never creates it)."""
    path = state_dir / key.filename
    return path.read_text().strip() if path.is_file() else ""


def _new_value(key: StateKey) -> bytes:
    if key is OIDC_KEY:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        return private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    if key is PROFILE_KEY:
        from cryptography.fernet import Fernet

        return Fernet.generate_key()
    return secrets.token_urlsafe(50).encode()


def create_keys(state_dir: Path, keys: tuple[StateKey, ...] = KEYS) -> list[StateKey]:
    """Create each missing key file (mode 0600) below `state_dir`; existing files are kept.

    Returns the keys that were created.
    """
    created = []
    state_dir.mkdir(parents=True, exist_ok=True)
    for key in keys:
        path = state_dir / key.filename
        if path.exists():
            continue
        path.touch(mode=0o600)
        path.write_bytes(_new_value(key))
        created.append(key)
    return created
