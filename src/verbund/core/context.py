"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from verbund import __version__


def platform(request: HttpRequest) -> dict[str, Any]:
    return {"VERBUND_VERSION": __version__, "VERBUND_LAND": settings.VERBUND_LAND}
