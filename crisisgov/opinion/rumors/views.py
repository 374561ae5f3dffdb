"""Rumor pages: the fact-checkers' queue and a rumor's page (decisions, clarifications, reach)
for staff; the public "rumor vs fact" page and its Atom feeds for everyone.

Each form posts to the page it is on and calls one service; a refusal is shown beside the
form. Texts of citizens' messages shown here are the redacted ones.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crisisgov.kernel.errors import DomainError
from crisisgov.kernel.feeds import LanguageFeed, requested_language
from crisisgov.kernel.http import actor_of, not_found_as_404
from crisisgov.opinion.permissions import OpinionPermission
from crisisgov.opinion.rumors import selectors, services
from crisisgov.opinion.rumors.models import Clarification, RumorState, Verdict

PAGE_CACHE = 'public, max-age=60, no-cache="Set-Cookie"'  # the language switch sets CSRF
FEED_ITEMS = 30


_language = requested_language


def _short(language: str) -> str:
    return "en" if language == "en" else "zh"


# --- staff -------------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not (actor.can(OpinionPermission.CHECK_FACTS) or actor.can(OpinionPermission.VIEW_BOARD)):
        raise Http404("no rumors to review here")
    lang = _short(translation.get_language() or "zh-hans")
    return render(
        request,
        "opinion_rumors/queue.html",
        {
            "items": selectors.queue(actor=actor),
            "known": [(r, r.canonical(lang)) for r in selectors.rumors_known(actor=actor)],
            "spreading": [
                (r, r.canonical(lang), n) for r, n in selectors.top_spreading(actor=actor)
            ],
        },
    )


@login_required
@not_found_as_404
@require_http_methods(["GET", "POST"])
def rumor(request: HttpRequest, rumor_id: int) -> HttpResponse:
    actor = actor_of(request)
    item = selectors.rumor_get(actor=actor, rumor_id=rumor_id)
    error = None
    if request.method == "POST":
        try:
            target = _act(request, item.pk)
            return redirect(reverse("opinion_rumors:rumor", args=[target]))
        except DomainError as exc:
            error = exc
            item = selectors.rumor_get(actor=actor, rumor_id=rumor_id)
    hours = request.GET.get("hours", "24")
    hours_value = int(hours) if hours.isdigit() and 1 <= int(hours) <= 168 else 24
    reach = selectors.reach(actor=actor, rumor_id=item.pk, hours=hours_value)
    top = max([max(a.before, a.after) for a in reach.areas] + [1])
    hour_top = max([h["count"] for h in reach.hourly] + [1])
    return render(
        request,
        "opinion_rumors/rumor.html",
        {
            "rumor": item,
            "lang": _short(translation.get_language() or "zh-hans"),
            "candidate": item.state == RumorState.CANDIDATE,
            "department_name": _department_name(item.department),
            "may_decide": actor.can_at(OpinionPermission.CHECK_FACTS, item.area_path),
            "examples": selectors.matches_of(actor=actor, rumor_id=item.pk, limit=20),
            "clarifications": selectors.clarifications_for_checker(actor=actor, rumor_id=item.pk)
            if actor.can_at(OpinionPermission.CHECK_FACTS, item.area_path)
            else [c for c in item.clarifications.all() if c.is_published],
            "known": [
                (k.pk, k.code, k.canonical(_short(translation.get_language() or "zh-hans")))
                for k in (selectors.rumors_known(actor=actor) if item.state == "candidate" else [])
            ],
            "verdicts": Verdict.choices,
            "reach": reach,
            "reach_rows": [
                {
                    "area": a,
                    "before_width": round(100 * a.before / top),
                    "after_width": round(100 * a.after / top),
                }
                for a in reach.areas
            ],
            "reach_hours": [
                {
                    "offset": h["offset"],
                    "count": h["count"],
                    "height": round(100 * h["count"] / hour_top),
                }
                for h in reach.hourly
            ],
            "error": error,
        },
        status=400 if error else 200,
    )


@cache
def _departments() -> dict[str, tuple[str, str]]:
    from crisisgov.opinion.dataset.load import departments

    return {d.code: (d.name_zh, d.name_en) for d in departments()}


def _department_name(code: str) -> str:
    names = _departments().get(code)
    if names is None:
        return code
    return names[1] if (translation.get_language() or "").startswith("en") else names[0]


def _act(request: HttpRequest, rumor_id: int) -> int:
    """One decision of the rumor page's forms; returns the rumor to show next."""
    actor = actor_of(request)
    post = request.POST
    action = post.get("action", "")
    if action == "confirm":
        services.candidate_confirm(
            actor=actor,
            rumor_id=rumor_id,
            statement_zh=post.get("statement_zh", "")[:1000],
            statement_en=post.get("statement_en", "")[:1000],
            verdict=post.get("verdict", ""),
            department=post.get("department", ""),
            hazard=post.get("hazard", ""),
        )
    elif action == "merge":
        into = post.get("into_id", "")
        if not into.isdigit() or len(into) > 18:
            raise DomainError("choose the known rumor", field="into_id")
        return services.candidate_merge(actor=actor, rumor_id=rumor_id, into_id=int(into)).pk
    elif action == "dismiss":
        services.candidate_dismiss(actor=actor, rumor_id=rumor_id, reason=post.get("reason", ""))
    elif action == "write":
        services.clarification_write(
            actor=actor,
            rumor_id=rumor_id,
            text_zh=post.get("text_zh", "")[:4000],
            text_en=post.get("text_en", "")[:4000],
            source_title=post.get("source_title", "")[:300],
            source_url=post.get("source_url", "")[:500],
            urgent=post.get("urgent") == "on",
        )
    elif action == "publish":
        clar = post.get("clarification_id", "")
        if not clar.isdigit() or len(clar) > 18:
            raise DomainError("choose the clarification", field="clarification_id")
        services.clarification_publish(actor=actor, clarification_id=int(clar))
    else:
        raise DomainError("unknown action", field="action")
    return rumor_id


# --- public ------------------------------------------------------------------------------------


def _fact(clar: Clarification, language: str) -> dict:
    short = _short(language)
    return {
        "id": clar.pk,
        "claim": clar.rumor.canonical(short),
        "fact": clar.text(short),
        "verdict": clar.rumor.verdict,
        "verdict_label": str(Verdict(clar.rumor.verdict).label) if clar.rumor.verdict else "",
        "source_title": clar.source_title,
        "source_url": clar.source_url,
        "published_at": clar.published_at,
        "urgent": clar.urgent,
    }


@require_GET
def facts(request: HttpRequest) -> HttpResponse:
    """Rumor vs fact, public and cacheable: no login, nothing per visitor on the page."""
    language = _language(request)
    with translation.override(language):
        response = render(
            request,
            "opinion_rumors/facts.html",
            {
                "language": language,
                "facts": [_fact(c, language) for c in selectors.clarifications_public(limit=100)],
            },
        )
    if not request.user.is_authenticated:
        response["Cache-Control"] = PAGE_CACHE
    return response


class FactsFeed(LanguageFeed):
    """The newest published clarifications in one language. Entry ids never change:
    `urn:crisisgov:opinion:clarification:<id>:<lang>`."""

    feed_type = Atom1Feed

    def title(self) -> str:
        return _("Rumor vs fact")

    def subtitle(self) -> str:
        return _("Official clarifications of rumors going round.")

    def link(self) -> str:
        return reverse("opinion_rumors:facts") + f"?lang={self.language_code}"

    def items(self) -> list[Clarification]:
        return selectors.clarifications_public(limit=FEED_ITEMS)

    def item_title(self, item: Clarification) -> str:
        return item.rumor.canonical(_short(self.language_code))

    def item_description(self, item: Clarification) -> str:
        fact = _fact(item, self.language_code)
        source = ""
        if item.source_title or item.source_url:
            source = f"<p>{escape(_('Source'))}: {escape(item.source_title or item.source_url)}</p>"
        return (
            f"<p><strong>{escape(_('Rumor'))}:</strong> {escape(fact['claim'])}</p>"
            f"<p><strong>{escape(_('Fact'))}:</strong> {escape(fact['fact'])}</p>{source}"
        )

    def item_link(self, item: Clarification) -> str:
        return reverse("opinion_rumors:facts") + f"?lang={self.language_code}#fact-{item.pk}"

    def item_guid(self, item: Clarification) -> str:
        return f"urn:crisisgov:opinion:clarification:{item.pk}:{self.language_code}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Clarification):  # type: ignore[no-untyped-def]
        return item.published_at

    def item_updateddate(self, item: Clarification):  # type: ignore[no-untyped-def]
        return item.published_at


def feed(language: str) -> LanguageFeed:
    return type(f"FactsFeed_{language}", (FactsFeed,), {"language_code": language})()
