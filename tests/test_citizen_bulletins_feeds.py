"""The bulletins' RSS 2.0 and Atom feeds, one per language, parsed as a feed reader would:
items newest first, real dates, stable ids, the language declared, a correction noted."""

from __future__ import annotations

import datetime as dt
import email.utils
import xml.etree.ElementTree as ET

import pytest
from django.test import Client

from tests.test_citizen_bulletins import API, _days_back, commander, draft, publish, series

__all__ = ["commander", "series"]  # fixtures shared with the bulletins' main tests

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.fixture
def published(series, commander):
    """Two bulletins; the older one corrected by a third."""
    first = draft(commander, series.city, _days_back(2))
    publish(commander, first["id"])
    second = draft(commander, series.city, _days_back(1))
    publish(commander, second["id"])
    fix = commander.post(f"{API}/{first['id']}/correct").json()
    publish(commander, fix["id"])
    return {"first": first, "second": second, "fix": fix}


def fetch(url: str) -> tuple[ET.Element, object]:
    response = Client().get(url)
    assert response.status_code == 200, url
    assert response["Cache-Control"] == "public, max-age=300"
    return ET.fromstring(response.content), response  # noqa: S314 (our own server's answer)


@pytest.mark.parametrize(
    ("language", "declared", "word"), [("en", "en", "Corrected"), ("zh-hans", "zh-Hans", "更正")]
)
def test_the_rss_feed_lists_bulletins_with_dates_ids_and_corrections(
    published, language, declared, word
):
    root, response = fetch(f"/citizen/bulletins/feed/rss/{language}/")
    assert response["Content-Type"].startswith("application/rss+xml")
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("language") == declared
    items = channel.findall("item")
    ids = [published[k]["id"] for k in ("fix", "second", "first")]
    assert [i.findtext("guid") for i in items] == [
        f"urn:crisisgov:bulletin:{n}:{language}" for n in ids
    ]
    assert all(i.find("guid").get("isPermaLink") == "false" for i in items)
    dates = [email.utils.parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True)
    assert all(abs(d - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5) for d in dates)
    title_key = "title_en" if language == "en" else "title_zh"
    assert items[1].findtext("title") == published["second"][title_key]
    corrected = items[2]
    assert word in corrected.findtext("title")
    assert f"/citizen/bulletins/{published['first']['id']}/?lang={language}" in corrected.findtext(
        "link"
    )
    number = Client().get(f"{API}/{published['fix']['id']}").json()["number"]
    assert f"{number}" in corrected.findtext("description")
    # The same ids on the next fetch: a reader never sees an entry twice.
    again, _ = fetch(f"/citizen/bulletins/feed/rss/{language}/")
    assert [i.findtext("guid") for i in again.find("channel").findall("item")] == [
        i.findtext("guid") for i in items
    ]


@pytest.mark.parametrize(("language", "declared"), [("en", "en"), ("zh-hans", "zh-Hans")])
def test_the_atom_feed_has_entries_with_ids_and_updated_times(published, language, declared):
    root, response = fetch(f"/citizen/bulletins/feed/atom/{language}/")
    assert response["Content-Type"].startswith("application/atom+xml")
    assert root.tag == f"{ATOM}feed" and root.get(XML_LANG) == declared
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        f"urn:crisisgov:bulletin:{published[k]['id']}:{language}"
        for k in ("fix", "second", "first")
    ]
    for entry in entries:
        published_at = dt.datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
        updated = dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
        assert updated >= published_at
    # The corrected bulletin was updated when its correction came out.
    fix, first = entries[0], entries[2]
    assert first.findtext(f"{ATOM}updated") == fix.findtext(f"{ATOM}published")
    assert dt.datetime.fromisoformat(root.findtext(f"{ATOM}updated")) == max(
        dt.datetime.fromisoformat(e.findtext(f"{ATOM}updated")) for e in entries
    )


def test_drafts_are_not_in_the_feeds(series, commander):
    draft(commander, series.city, _days_back(1))
    root, _ = fetch("/citizen/bulletins/feed/rss/en/")
    assert root.find("channel").findall("item") == []
