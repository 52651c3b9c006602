"""What the application reads share: the kind of user, token hashes and the attachment storage."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.storage import Storage, storages

User = AbstractBaseUser | AnonymousUser


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def attachment_storage() -> Storage:
    return storages["attachments"]


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
