"""Public page of an authority."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from verbund.authorities import queries
from verbund.core.errors import DomainError


def authority_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        authority = queries.get_authority(slug)
    except DomainError as exc:
        raise Http404(exc.message) from None
    return render(request, "authorities/detail.html", {"authority": authority})
