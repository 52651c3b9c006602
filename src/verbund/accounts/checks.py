"""`verbund check --deploy` refuses demo accounts, whose passwords are public."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

from verbund.accounts.models import User

# Every demo account (accounts/demo.py) has an address below this domain.
DEMO_DOMAIN = "demo.verbund.invalid"


@register(Tags.security, deploy=True)
def check_no_demo_accounts(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Skipped (with no error) when the database cannot be read, e.g. before `verbund setup`."""
    try:
        demo = list(
            User.objects.filter(email__iendswith=DEMO_DOMAIN)
            .order_by("username")
            .values_list("username", flat=True)[:5]
        )
    except DatabaseError:
        return []
    if not demo:
        return []
    return [
        Error(
            f"Demo-Konten mit öffentlichem Passwort sind angelegt ({', '.join(demo)} …).",
            hint="Eine Produktion wird mit `verbund setup` ohne `verbund load-demo` "
            "eingerichtet; vorhandene Demo-Konten löschen.",
            id="verbund.E002",
        )
    ]
