"""Public pages and feeds in one language (zh-Hans or en), cacheable by proxies: the bulletins
and the rumor clarifications."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.utils import translation

FEED_CACHE = "public, max-age=300"
LANGUAGES = {"en": "en", "zh-hans": "zh-hans", "zh": "zh-hans"}


def requested_language(request: HttpRequest) -> str:
    """ "en" or "zh-hans": `?lang=` when given (a cached public page names its language in
    its address), else the request's language."""
    asked = LANGUAGES.get(request.GET.get("lang", ""))
    return asked or ("en" if translation.get_language().startswith("en") else "zh-hans")


class LanguageFeed(Feed):
    """Renders in `language_code` whatever the request's language ("zh-hans" or "en")."""

    language_code = "zh-hans"

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        with translation.override(self.language_code):
            response = super().__call__(request, *args, **kwargs)
        response["Cache-Control"] = FEED_CACHE
        return response

    @property
    def language(self) -> str:  # type: ignore[override]
        return "en" if self.language_code == "en" else "zh-Hans"
