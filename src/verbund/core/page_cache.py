"""The main content of public pages, cached for anonymous visitors (decision 0031).

A page such as a service page or the finder's answer is the same for every anonymous visitor
except for its frame: the CSRF token of the language switch, the messages and the navigation
of a signed-in user. `public_page` therefore keeps only the title, the head and the main
content (the blocks between the markers in `base.html`), keyed by language, URL, today's
date and the generation token, and renders the frame anew for every request.

The generation token is read on every request (one query of primary-key lookups): the
`PageGeneration` row, which every save or delete of a watched model replaces inside its
transaction, and the tokens lower domains register (the search index version, the finder's
write token). So a change shows at once on every app server, and a cache per server (the
file-based cache in the state directory, shared by its workers) is correct; a cache shared
between servers would only save their first renderings.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

View = Callable[..., HttpResponse]
# Only answers that are the view's own and the same for everyone; a raised 404 is not one.
CACHEABLE_STATUS = (200, 404, 422)
_TITLE = re.compile(r"<title>.*?</title>", re.DOTALL)
_sources: list[str] = []


def add_token_source(sql: str) -> None:
    """A scalar SQL subquery whose value changes when a lower domain's content changes
    without a signal (e.g. a bulk update); read together with the generation token."""
    if sql not in _sources:
        _sources.append(sql)


def watch(*models: type[Model]) -> None:
    """Replace the generation token on every save or delete of these models (and of their
    many-to-many links). Called by each domain in `AppConfig.ready()` for what it shows."""
    for model in models:
        name = model._meta.label
        post_save.connect(bump, sender=model, dispatch_uid=f"page-{name}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"page-d-{name}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(bump, sender=through, dispatch_uid=f"page-m-{name}-{field.name}")


def bump(**_: Any) -> None:
    """Signal receiver: runs in the writer's transaction, so a rollback restores the token."""
    from verbund.core.models import PageGeneration

    if not PageGeneration.objects.filter(pk=1).update(token=uuid.uuid4()):
        PageGeneration.objects.get_or_create(pk=1)


def current_token() -> str:
    from verbund.core.models import PageGeneration

    table = PageGeneration._meta.db_table
    # table names from the models' meta and SQL the domains registered, never input
    own = f"(SELECT token FROM {table} WHERE id = 1)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([own, *(f"({sql})" for sql in _sources)]))
        row = cursor.fetchone()
    return "|".join(str(value) for value in row)


def _key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    token = hashlib.sha256(current_token().encode()).hexdigest()[:32]
    return f"page:{translation.get_language()}:{timezone.localdate()}:{path}:{token}"


def _between(content: str, name: str) -> str | None:
    start, end = f"<!--verbund:{name}-->", f"<!--/verbund:{name}-->"
    first, last = content.find(start), content.rfind(end)
    return content[first + len(start) : last] if 0 <= first < last else None


def extract(response: HttpResponse) -> dict[str, Any] | None:
    """The parts of a rendered page that are the same for everyone, or None if the page
    cannot be cached (not an HTML page of the frame, a cookie, a CSRF token inside)."""
    if response.status_code not in CACHEABLE_STATUS or response.streaming or response.cookies:
        return None
    if not response.get("Content-Type", "").startswith("text/html"):
        return None
    content = response.content.decode(response.charset or "utf-8")
    title, head, main = _TITLE.search(content), _between(content, "head"), _between(content, "main")
    if title is None or head is None or main is None:
        return None
    if "csrfmiddlewaretoken" in head + main:  # a visitor's token must never be shared
        return None
    return {"status": response.status_code, "title": title.group(0), "head": head, "main": main}


def _render(request: HttpRequest, page: dict[str, Any]) -> HttpResponse:
    parts = {name: mark_safe(page[name]) for name in ("title", "head", "main")}  # noqa: S308
    return render(request, "core/cached_page.html", {"page": parts}, status=page["status"])


def public_page(view: View) -> View:
    """Serve the view's main content from the cache to anonymous visitors (GET only)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        seconds = settings.VERBUND_PAGE_CACHE_SECONDS
        if seconds <= 0 or request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = _key(request)
        page = cache.get(key)
        if page is not None:
            return _render(request, page)
        response = view(request, *args, **kwargs)
        page = extract(response)
        if page is not None:
            cache.set(key, page, seconds)
        return response

    return wrapped
