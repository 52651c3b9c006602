"""TOTP (RFC 6238) codes: 30-second steps, 6 digits, SHA-1, as every authenticator app."""

from __future__ import annotations

import time

import pyotp

STEP_SECONDS = 30
# One step of clock drift either way is tolerated (RFC 6238 §5.2).
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(*, secret: str, account_name: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def current_code(secret: str, *, at: float | None = None) -> str:
    return pyotp.TOTP(secret).at(int(at if at is not None else time.time()))


def matching_step(
    secret: str, code: str, *, after_step: int, at: float | None = None
) -> int | None:
    """The time step the code belongs to, if it is valid now (± drift) and newer than
    `after_step` (a code is never accepted twice); otherwise None."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return None
    now_step = int((at if at is not None else time.time()) // STEP_SECONDS)
    hotp = pyotp.HOTP(secret)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if step > after_step and pyotp.utils.strings_equal(hotp.at(step), code):
            return step
    return None
