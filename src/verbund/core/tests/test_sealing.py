"""Opening a sealed submission (decision 0031): OpenSSL checks each private key once per
process before its first use; only a fingerprint of a checked key is remembered."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.util import base64_to_int, int_to_base64

from verbund.authorities import keys
from verbund.core import sealing


@pytest.fixture(scope="module")
def key_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    public, private = keys.generate_key_pair(bits=2048)
    return {**public, "kid": "k1"}, private


def _with_part_changed(private: dict[str, Any], part: str) -> dict[str, Any]:
    return {**private, part: int_to_base64(base64_to_int(private[part]) + 2)}


def test_a_key_opens_what_was_sealed_to_it_again_and_again(key_pair) -> None:  # type: ignore[no-untyped-def]
    public, private = key_pair
    token = sealing.seal(b"Erika Muster", public)
    # when: the first opening checks the key, the later ones reuse that check
    assert sealing.open_sealed(token, private) == b"Erika Muster"
    assert sealing.open_sealed(token, dict(private)) == b"Erika Muster"
    # then
    assert sealing.sha256_hex(sealing.canonical_json(private)) in sealing._checked


def test_a_changed_copy_of_a_checked_key_is_checked_anew_and_refused(key_pair) -> None:  # type: ignore[no-untyped-def]
    public, private = key_pair
    token = sealing.seal(b"Erika Muster", public)
    sealing.open_sealed(token, private)
    # given: a copy whose CRT exponent no longer fits its primes
    broken = _with_part_changed(private, "dp")
    # then: OpenSSL's check runs for it (new fingerprint) and refuses the key itself
    with pytest.raises(ValueError):
        sealing.private_key_from_jwk(broken)
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(token, broken)
    assert sealing.sha256_hex(sealing.canonical_json(broken)) not in sealing._checked
    with pytest.raises(sealing.SealError):
        sealing.open_sealed(token, broken)


def test_the_process_keeps_fingerprints_never_key_material(key_pair) -> None:  # type: ignore[no-untyped-def]
    public, private = key_pair
    sealing.open_sealed(sealing.seal(b"x", public), private)
    parts = {str(private[part]) for part in ("d", "p", "q", "dp", "dq", "qi")}
    assert sealing._checked
    assert all(len(entry) == 64 and entry not in parts for entry in sealing._checked)
