"""A minimal client for the ClamAV daemon (clamd), speaking its INSTREAM protocol.

clamd reads chunks prefixed with their length (4 bytes, network order) and a zero-length
chunk as the end; it answers `stream: OK`, `stream: <name> FOUND` or `... ERROR`.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlparse

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd is configured but does not answer (not running, wrong address, timeout)."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""


def _connect(address: str, timeout: float) -> socket.socket:
    parsed = urlparse(address)
    try:
        if parsed.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(parsed.path)
        elif parsed.scheme == "tcp":
            sock = socket.create_connection(
                (parsed.hostname or "127.0.0.1", parsed.port or 3310), timeout=timeout
            )
        else:
            raise ScannerUnavailable(f"unsupported clamd address {address!r}")
    except OSError as exc:
        raise ScannerUnavailable(str(exc)) from exc
    return sock


def ping(address: str, timeout: float = 5) -> bool:
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(64).startswith(b"PONG")
    except (ScannerUnavailable, OSError):
        return False


def scan_bytes(address: str, content: bytes, timeout: float = 20) -> ScanResult:
    """Scan `content` with clamd at `address` (`unix:///path` or `tcp://host:port`)."""
    try:
        with _connect(address, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for start in range(0, len(content), CHUNK):
                chunk = content[start : start + CHUNK]
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            answer = b""
            while not answer.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                answer += part
    except OSError as exc:
        raise ScannerUnavailable(str(exc)) from exc
    text = answer.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith("OK"):
        return ScanResult(clean=True)
    if text.endswith("FOUND"):
        signature = text.removeprefix("stream:").removesuffix("FOUND").strip()
        return ScanResult(clean=False, signature=signature)
    raise ScannerUnavailable(f"clamd answered {text!r}")
