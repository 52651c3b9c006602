"""Stored attachment files: read back, deleted after the transaction that let go of them."""

from __future__ import annotations

from verbund.applications import queries


def delete_files(names: list[str]) -> None:
    storage = queries.attachment_storage()
    for name in names:
        storage.delete(name)


def read_stored(name: str) -> bytes:
    with queries.attachment_storage().open(name, "rb") as fh:
        data: bytes = fh.read()
    return data
