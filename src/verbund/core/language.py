"""The page language: German unless the visitor chose English with the language switch.

Django's LocaleMiddleware would follow the browser's Accept-Language header; a browser set
to English would then get English frames around German content (service texts, forms and
the authorities' own words are German only), without having asked. So the header is not
consulted: German by default, English by explicit choice (the switch sets the language
cookie). Decision 0024."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware


class ExplicitLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
