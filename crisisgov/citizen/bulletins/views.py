"""Public bulletin pages (no login, mobile-first) and the RSS 2.0 / Atom feeds per language.

The page language is the visitor's (the language switch, Accept-Language) or `?lang=en` /
`?lang=zh-hans`, which feed links carry. Public answers are cacheable by shared caches for a
short while; a logged-in visitor's page names them in the top bar and stays private.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crisisgov.citizen.bulletins import selectors
from crisisgov.citizen.bulletins.figures import cell_text, en_date
from crisisgov.citizen.bulletins.models import Bulletin, BulletinState
from crisisgov.kernel.feeds import LanguageFeed, requested_language
from crisisgov.kernel.http import not_found_as_404

PAGE_CACHE = 'public, max-age=60, no-cache="Set-Cookie"'  # the page's form sets a CSRF cookie
FEED_ITEMS = 30


_language = requested_language


def _public(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not request.user.is_authenticated:
        response["Cache-Control"] = PAGE_CACHE
    return response


def _rows(bulletin: Bulletin, language: str) -> list[dict]:
    """The figures table of a bulletin, in the page language."""
    rows = []
    for d in bulletin.figures.get("districts", []):
        rt = d.get("rt")
        rows.append(
            {
                "code": d["code"],
                "name": d["name_en"] if language == "en" else d["name_zh"],
                "new": cell_text(d["new"], language),
                "cumulative": cell_text(d["cumulative"], language),
                "cumulative_as_of": _as_of(d.get("cumulative_as_of"), language),
                "level": d["level"],
                "rt": f"{rt['mean']:.2f}" if rt else "—",
                "rt_range": (
                    f"{rt['lower']:.2f}–{rt['upper']:.2f}"
                    if rt and rt["lower"] is not None and rt["upper"] is not None
                    else ""
                ),
            }
        )
    return rows


def _as_of(last: dict | None, language: str) -> str:
    """The last cumulative count published, shown where today's is withheld."""
    if not last:
        return ""
    with translation.override(language):
        return _("%(count)s up to %(date)s") % {"count": last["value"], "date": last["date"][5:]}


def _trend(bulletin: Bulletin, language: str) -> list[dict]:
    days = bulletin.figures.get("daily", [])
    known = [d["new"] for d in days if isinstance(d["new"], int)]
    top = max(known, default=0) or 1
    return [
        {
            "date": d["date"][5:],
            "text": cell_text(d["new"], language),
            # A protected or withheld day gets no bar: its height would tell the count.
            "width": round(100 * d["new"] / top) if isinstance(d["new"], int) else 0,
        }
        for d in days
    ]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        page = Paginator(selectors.bulletins_public(), 20).get_page(request.GET.get("page"))
        latest = page.object_list[0] if page.number == 1 and page.object_list else None
        response = render(
            request,
            "citizen_bulletins/home.html",
            {
                "language": language,
                "page": page,
                "items": [(b, b.title(language)) for b in page.object_list],
                "latest": latest,
                "latest_title": latest.title(language) if latest else "",
                "latest_rows": _rows(latest, language) if latest else [],
                "latest_figures": _headline(latest, language) if latest else None,
                "clarifications": [
                    _note(n, language) for n in selectors.clarifications_recent(limit=10)
                ],
            },
        )
    return _public(request, response)


def _headline(bulletin: Bulletin, language: str) -> dict:
    figures = bulletin.figures
    return {
        "new": cell_text(figures.get("new"), language),
        "cumulative": cell_text(figures.get("cumulative"), language),
        "cumulative_as_of": _as_of(figures.get("cumulative_as_of"), language),
        "high": figures.get("risk", {}).get("high", 0),
        "medium": figures.get("risk", {}).get("medium", 0),
        "withheld": figures.get("new") is None or figures.get("cumulative") is None,
    }


def _note(note, language: str) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": note.pk,
        "claim": note.claim(language),
        "fact": note.fact(language),
        "source_url": note.source_url,
        "published_at": note.published_at,
    }


@require_GET
@not_found_as_404
def detail(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    language = _language(request)
    bulletin = selectors.bulletin_public(bulletin_id)
    correction = getattr(bulletin, "correction", None)
    if correction is not None and correction.state == BulletinState.DRAFT:
        correction = None
    with translation.override(language):
        response = render(
            request,
            "citizen_bulletins/detail.html",
            {
                "language": language,
                "bulletin": bulletin,
                "title": bulletin.title(language),
                "paragraphs": [p for p in bulletin.body(language).split("\n\n") if p.strip()],
                "headline": _headline(bulletin, language),
                "rows": _rows(bulletin, language),
                "trend": _trend(bulletin, language),
                "correction": correction,
                "on_day": True,
                "clarifications": [
                    _note(n, language) for n in selectors.clarifications_of(bulletin)
                ],
            },
        )
    return _public(request, response)


# --- feeds -------------------------------------------------------------------------------------


class BulletinFeed(LanguageFeed):
    """The newest published bulletins in one language; a corrected one says so, a correction
    names the bulletin it corrects. Entry ids never change: `urn:crisisgov:bulletin:<id>:<lang>`.
    """

    feed_type = Rss201rev2Feed

    def title(self) -> str:
        return _("Situation bulletins")

    def description(self) -> str:
        return _("Daily authoritative situation bulletins, with small counts protected.")

    def link(self) -> str:
        return reverse("citizen_bulletins:home") + f"?lang={self.language_code}"

    def items(self) -> list[Bulletin]:
        return list(selectors.bulletins_public().order_by("-published_at", "-id")[:FEED_ITEMS])

    def item_title(self, item: Bulletin) -> str:
        title = item.title(self.language_code)
        if item.state == BulletinState.CORRECTED:
            return _("[Corrected] %(title)s") % {"title": title}
        if item.corrects_id:
            return _("[Correction] %(title)s") % {"title": title}
        return title

    def item_description(self, item: Bulletin) -> str:
        notes = []
        if item.state == BulletinState.CORRECTED:
            correction = item.correction
            notes.append(
                _("This bulletin was corrected by No. %(number)s.") % {"number": correction.number}
            )
        if item.corrects_id:
            notes.append(
                _("This bulletin corrects No. %(number)s.") % {"number": item.corrects.number}
            )
        body = linebreaks(escape(item.body(self.language_code)))
        rumors = "".join(
            f"<li><strong>{escape(_('Rumor'))}:</strong> {escape(n.claim(self.language_code))}"
            f"<br><strong>{escape(_('Fact'))}:</strong> {escape(n.fact(self.language_code))}</li>"
            for n in selectors.clarifications_of(item)
        )
        if rumors:
            rumors = f"<h3>{escape(_('Rumor vs fact'))}</h3><ul>{rumors}</ul>"
        return "".join(f"<p><strong>{escape(n)}</strong></p>" for n in notes) + body + rumors

    def item_link(self, item: Bulletin) -> str:
        return reverse("citizen_bulletins:detail", args=[item.pk]) + f"?lang={self.language_code}"

    def item_guid(self, item: Bulletin) -> str:
        return f"urn:crisisgov:bulletin:{item.pk}:{self.language_code}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Bulletin):  # type: ignore[no-untyped-def]
        return item.published_at

    def item_updateddate(self, item: Bulletin):  # type: ignore[no-untyped-def]
        """A corrected bulletin changed when its correction was published."""
        if item.state == BulletinState.CORRECTED:
            return item.correction.published_at
        return item.published_at

    def item_categories(self, item: Bulletin) -> list[str]:
        return [en_date(item.date) if self.language_code == "en" else item.date.isoformat()]


class AtomBulletinFeed(BulletinFeed):
    feed_type = Atom1Feed

    def subtitle(self) -> str:
        return self.description()


def feed(kind: str, language: str) -> LanguageFeed:
    cls = AtomBulletinFeed if kind == "atom" else BulletinFeed
    return type(f"{cls.__name__}_{language}", (cls,), {"language_code": language})()
