"""The access code of a submission without an account: read off a receipt, typed back later.

Characters that look alike (0/O, 1/l/I) are left out, the code is shown in groups of four,
and what is typed back is forgiving: spaces, hyphens and lower case are fine. Only its
SHA-256 is stored (`Submission.status_secret_hash`). Codes issued in the earlier format
(`secrets.token_urlsafe`, case-sensitive) keep working: they are checked as typed too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

# 31 characters without 0, O, 1, I, L: 20 of them carry about 99 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 20
GROUP = 4
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.]+")
_WHITESPACE = re.compile(r"\s+")


def new_access_code() -> str:
    """A fresh code in its canonical form (no separators); show it with `format_access_code`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_access_code(code: str) -> str:
    """The code in groups of four, as the receipt, the PDF and the e-mail show it."""
    plain = _WHITESPACE.sub("", code)
    return " ".join(plain[i : i + GROUP] for i in range(0, len(plain), GROUP))


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def candidates(typed: str) -> list[str]:
    """What a typed code may stand for: the new format without separators in upper case,
    and an earlier code as typed (without the spaces of its grouped display)."""
    stripped = typed.strip()
    found = [_SEPARATORS.sub("", stripped).upper(), _WHITESPACE.sub("", stripped)]
    return [c for i, c in enumerate(found) if c and c not in found[:i]]


def access_code_matches(typed: str, expected_hash: str) -> bool:
    """Whether a typed code is the one whose hash is stored; constant time per candidate,
    and always both candidates, so the answer's timing does not tell the format."""
    matched = False
    for candidate in candidates(typed) or [""]:
        matched |= hmac.compare_digest(code_hash(candidate), expected_hash or "-")
    return matched and bool(typed.strip())
