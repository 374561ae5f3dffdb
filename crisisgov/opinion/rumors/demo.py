"""The demo's rumors: the knowledge base loaded from the project dataset, one known rumor
spreading in one district over the last hours (paraphrases posted through the intake, a few
of them debunking it), and a new claim repeated in the same district waiting in the
fact-checkers' queue. Idempotent: a second run posts nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from crisisgov.geo.facade import Level, areas_at_level
from crisisgov.kernel.actor import SYSTEM
from crisisgov.opinion.rumors.kb_source import rows_from
from crisisgov.opinion.rumors.models import Rumor, RumorMatch
from crisisgov.opinion.rumors.services import kb_load, messages_check

NEW_CLAIM = "听说今晚小区门口要发免费鸡蛋，每户限领两盒，赶紧转发给邻居！"
CANDIDATES = 10  # rumors tried for the demo's spreading one


def _dataset_posts() -> dict[str, tuple[list[str], list[str]]]:
    """{rumor code: (paraphrases, debunking posts)} of the dataset (evaluation data, posted
    here as citizens' messages; they never enter the knowledge base)."""
    from crisisgov.opinion.dataset.load import rumors

    return {
        r.id: ([text for _, text in r.paraphrases], [text for _, text in r.debunks])
        for r in rumors()
    }


def _best_spread(posts: dict[str, tuple[list[str], list[str]]]) -> str | None:
    """Of the first rumors, the one whose paraphrases the process's index matches most, so the
    demo shows a rumor spreading whichever embedder is configured."""
    from crisisgov.opinion.rumors.matcher import encode
    from crisisgov.opinion.rumors.services import kb_index

    index = kb_index()
    known = dict(Rumor.objects.filter(state="confirmed").values_list("code", "pk"))
    best, best_hits = None, -1
    for code in sorted(known)[:CANDIDATES]:
        texts = posts.get(code, ([], []))[0]
        hits = sum(
            1
            for text, vector in zip(texts, encode(texts), strict=True)
            if (found := index.match(text, vector)) and found.rumor_id == known[code]
        )
        if hits > best_hits:
            best, best_hits = code, hits
    return best


def opinion_rumors_demo_ensure() -> list[str]:
    from crisisgov.opinion.analyser import messages_analyse
    from crisisgov.opinion.intake import message_receive

    loaded = kb_load(actor=SYSTEM, rows=rows_from())
    lines = [f"Rumors: knowledge base {loaded.created} new, {loaded.updated} updated"]
    districts = areas_at_level(Level.DISTRICT)
    if not districts:
        return lines
    district = districts[0]
    if RumorMatch.objects.filter(area_path__startswith=district.path).exists():
        return lines + ["Rumors: the demo's messages are there already"]
    dataset = _dataset_posts()
    code = _best_spread(dataset)
    if code is None:
        return lines
    rumor = Rumor.objects.get(code=code)
    spreading, debunking = dataset[code]
    now = timezone.now()
    posts = [(t, now - dt.timedelta(minutes=50 * i + 10)) for i, t in enumerate(spreading * 2)]
    posts += [(t, now - dt.timedelta(minutes=25 * i + 5)) for i, t in enumerate(debunking)]
    posts += [(NEW_CLAIM, now - dt.timedelta(minutes=15 * i + 3)) for i in range(3)]
    ids = [
        message_receive(channel="post", text=text, posted_at=at, area_code=district.code).message.pk
        for text, at in posts
    ]
    messages_analyse(message_ids=ids, limit=len(ids))
    matched = len(messages_check(message_ids=ids))
    return lines + [
        f"Rumors: {len(posts)} posts in {district.name_en}, {matched} matched or queued "
        f"(rumor {rumor.code} spreading; a new claim waits at /opinion/rumors/)"
    ]
