"""Situation bulletins end to end: drafted from the early-warning series with small counts
protected, edited and published by an official in both languages, immutable once published,
corrected by a new bulletin, public pages and feeds without login, rumor-vs-fact notes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from crisisgov.citizen.bulletins.models import Bulletin, Clarification
from crisisgov.kernel.models import AuditEntry

API = "/api/citizen/bulletins"


def _days_back(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def series(city):
    """20 days of confirmed cases: district A 20..39 a day; district B none but 12 cases ten
    days ago and 3 yesterday (a small count)."""
    from crisisgov.earlywarning.facade import observations_drill_load

    rows = []
    for back in range(1, 21):
        day = _days_back(back).isoformat()
        rows.append(("confirmed-cases", city.community_a.code, day, float(40 - back)))
        b = {1: 3.0, 10: 12.0}.get(back, 0.0)
        rows.append(("confirmed-cases", city.community_b.code, day, b))
    observations_drill_load(rows)
    return city


@pytest.fixture
def commander(series, make_user):
    client = Client()
    client.force_login(make_user("commander", series.city))
    return client


def draft(client, area, day) -> dict:
    response = client.post(
        f"{API}/drafts",
        {"area_id": area.id, "date": day.isoformat()},
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    return response.json()


def publish(client, bulletin_id) -> object:
    return client.post(f"{API}/drafts/{bulletin_id}/publish")


def district(figures, area) -> dict:
    return next(d for d in figures["districts"] if d["code"] == area.code)


def test_draft_numbers_equal_the_early_warning_series(series, commander):
    from crisisgov.earlywarning.series import series_get
    from crisisgov.kernel.actor import SYSTEM

    day = _days_back(2)
    figures = draft(commander, series.city, day)["figures"]
    a = series_get(
        actor=SYSTEM,
        indicator_code="confirmed-cases",
        area_id=series.district_a.id,
        start=day - dt.timedelta(days=30),
        end=day,
    )
    values = [p.value for p in a.points]
    assert district(figures, series.district_a)["new"] == values[-1] == 38
    assert district(figures, series.district_a)["cumulative"] == sum(values) == sum(range(20, 39))
    assert district(figures, series.district_b)["new"] == 0
    assert district(figures, series.district_b)["cumulative"] == 12
    assert figures["new"] == 38 and figures["cumulative"] == sum(range(20, 39)) + 12
    assert [d["new"] for d in figures["daily"]] == [38 - i for i in range(6, -1, -1)]
    assert figures["daily"][-1]["date"] == day.isoformat()


def test_small_counts_are_shown_as_fewer_than_ten_and_cannot_be_subtracted_out(series, commander):
    """Yesterday district B had 3 cases. Whatever a reader subtracts, the 3 stays hidden."""
    before = draft(commander, series.city, _days_back(2))
    assert publish(commander, before["id"]).status_code == 200
    now = draft(commander, series.city, _days_back(1))
    figures = now["figures"]
    b, a = district(figures, series.district_b), district(figures, series.district_a)
    assert b["new"] == "<10" and a["new"] == 39
    # total - district A would be B's count: the total is withheld.
    assert figures["new"] is None
    # B's cumulative today minus yesterday's (12) would be the 3: withheld; so is the city's.
    assert district(before["figures"], series.district_b)["cumulative"] == 12
    assert b["cumulative"] is None and figures["cumulative"] is None
    # The 7-day trend's last day is the same withheld total, not the number.
    assert figures["daily"][-1]["new"] is None
    assert "江汉区少于10例" in now["body_zh"], now["body_zh"]
    assert f"{series.district_b.name_en} <10." in now["body_en"], now["body_en"]
    # The attacker's test: had B had 1, 2, 4 or 9 cases instead of 3, every figure of both
    # bulletins would read the same, so no subtraction of them can tell which it was.
    from crisisgov.citizen.bulletins.figures import figures_compute
    from crisisgov.earlywarning.facade import observations_drill_load

    seen = [before["figures"], figures]
    for other in (1.0, 2.0, 4.0, 9.0):
        observations_drill_load(
            [("confirmed-cases", series.community_b.code, _days_back(1).isoformat(), other)]
        )
        again = [figures_compute(series.city.path, _days_back(n)) for n in (2, 1)]
        assert again == seen, other
    observations_drill_load(
        [("confirmed-cases", series.community_b.code, _days_back(1).isoformat(), 10.0)]
    )
    assert figures_compute(series.city.path, _days_back(1)) != figures  # 10 is shown


def test_the_label_is_translated_on_the_page(series, commander):
    bulletin = draft(commander, series.city, _days_back(1))
    publish(commander, bulletin["id"])
    zh = Client().get(f"/citizen/bulletins/{bulletin['id']}/?lang=zh-hans").content.decode()
    en = Client().get(f"/citizen/bulletins/{bulletin['id']}/?lang=en").content.decode()
    assert 'data-cell="new">少于10<' in zh
    assert 'data-cell="new">&lt;10<' in en


def test_both_languages_are_required_to_publish(series, commander):
    bulletin = draft(commander, series.city, _days_back(1))
    url = f"{API}/drafts/{bulletin['id']}"
    edited = commander.patch(url, {"title_en": "  "}, content_type="application/json")
    assert edited.status_code == 200 and edited.json()["title_en"] == ""
    refused = publish(commander, bulletin["id"])
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["field"] == "title_en"
    assert Bulletin.objects.get().state == "draft" and Bulletin.objects.get().number is None
    commander.patch(
        url, {"title_en": "Bulletin", "body_zh": "正文"}, content_type="application/json"
    )
    done = publish(commander, bulletin["id"])
    assert done.status_code == 200
    assert done.json()["state"] == "published" and done.json()["number"] == 1
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == [
        "citizen.bulletin_edited",
        "citizen.bulletin_edited",
        "citizen.bulletin_published",
    ]


def test_a_published_bulletin_is_immutable_and_a_correction_supersedes_it(series, commander):
    original = draft(commander, series.city, _days_back(2))
    publish(commander, original["id"])
    stored = Bulletin.objects.get(pk=original["id"])
    url = f"{API}/drafts/{original['id']}"
    change = commander.patch(url, {"body_en": "changed"}, content_type="application/json")
    assert change.status_code == 409
    assert publish(commander, original["id"]).status_code == 409
    redraft = commander.post(
        f"{API}/drafts",
        {"area_id": series.city.id, "date": _days_back(2).isoformat()},
        content_type="application/json",
    )
    assert redraft.status_code == 409
    assert Bulletin.objects.get(pk=original["id"]).body_en == stored.body_en
    # The correction is a new draft of the same day; publishing it marks the original.
    correction = commander.post(f"{API}/{original['id']}/correct")
    assert correction.status_code == 201
    fix = correction.json()
    assert fix["state"] == "draft" and fix["corrects_id"] == original["id"]
    assert commander.post(f"{API}/{original['id']}/correct").json()["id"] == fix["id"]
    commander.patch(
        f"{API}/drafts/{fix['id']}", {"body_en": "Corrected text."}, content_type="application/json"
    )
    assert publish(commander, fix["id"]).status_code == 200
    public = Client().get(API).json()
    states = {b["id"]: (b["state"], b["corrected_by_id"], b["corrects_id"]) for b in public}
    assert states == {
        original["id"]: ("corrected", fix["id"], None),
        fix["id"]: ("published", None, original["id"]),
    }
    assert commander.post(f"{API}/{original['id']}/correct").status_code == 409
    old_page = Client().get(f"/citizen/bulletins/{original['id']}/?lang=en").content.decode()
    assert 'id="corrected-notice"' in old_page and f"/citizen/bulletins/{fix['id']}/" in old_page
    new_page = Client().get(f"/citizen/bulletins/{fix['id']}/?lang=en").content.decode()
    assert "Corrected text." in new_page and 'id="correction-notice"' in new_page


def test_officials_of_another_district_cannot_draft_edit_or_publish_here(
    series, commander, make_user
):
    city_bulletin = draft(commander, series.city, _days_back(1))
    district_b = draft(commander, series.district_b, _days_back(1))
    outsider = Client()
    outsider.force_login(make_user("commander", series.district_a))
    for bulletin in (city_bulletin, district_b):
        hidden = publish(outsider, bulletin["id"])
        missing = publish(outsider, 99999999)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
        edit = outsider.patch(
            f"{API}/drafts/{bulletin['id']}", {"title_en": "x"}, content_type="application/json"
        )
        assert edit.status_code == 404
    refused = outsider.post(
        f"{API}/drafts",
        {"area_id": series.district_b.id, "date": _days_back(3).isoformat()},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert outsider.get(f"{API}/drafts").json() == []
    assert set(Bulletin.objects.values_list("state", flat=True)) == {"draft"}
    # A citizen has no such right anywhere.
    citizen = Client()
    citizen.force_login(make_user("citizen", series.city))
    assert publish(citizen, city_bulletin["id"]).status_code == 404


def test_public_pages_and_api_need_no_login_and_hide_drafts(series, commander):
    hidden = draft(commander, series.city, _days_back(2))
    shown = draft(commander, series.city, _days_back(1))
    publish(commander, shown["id"])
    anonymous = Client()
    home = anonymous.get("/citizen/bulletins/")
    assert home.status_code == 200
    assert home["Cache-Control"].startswith("public, max-age=")
    assert shown["title_zh"] in home.content.decode()
    assert hidden["title_zh"] not in home.content.decode()
    assert anonymous.get(f"/citizen/bulletins/{shown['id']}/").status_code == 200
    assert anonymous.get(f"/citizen/bulletins/{hidden['id']}/").status_code == 404
    assert [b["id"] for b in anonymous.get(API).json()] == [shown["id"]]
    assert anonymous.get(f"{API}/{shown['id']}").json()["figures"] == shown["figures"]
    assert anonymous.get(f"{API}/{hidden['id']}").status_code == 404
    # A logged-in official's page names them: never stored by a shared cache.
    assert commander.get("/citizen/bulletins/")["Cache-Control"] == "private, no-store"


def test_the_daily_sweep_and_command_draft_once_per_area_and_day(series):
    from crisisgov.citizen.bulletins.services import bulletins_draft_due

    assert bulletins_draft_due() == 1
    assert bulletins_draft_due() == 0
    bulletin = Bulletin.objects.get()
    assert (bulletin.area_id, bulletin.date, bulletin.state) == (
        series.city.id,
        _days_back(1),
        "draft",
    )
    call_command("bulletins", "draft", "--date", _days_back(1).isoformat())
    call_command("bulletins", "draft", "--date", _days_back(3).isoformat())
    assert sorted(Bulletin.objects.values_list("date", flat=True)) == [_days_back(3), _days_back(1)]
    assert AuditEntry.objects.filter(action="citizen.bulletin_drafted").count() == 3


def test_the_sweep_waits_for_the_days_numbers(city):
    from crisisgov.citizen.bulletins.services import bulletins_draft_due

    assert bulletins_draft_due() == 0 and not Bulletin.objects.exists()


def test_rumor_vs_fact_notes_by_api_and_by_the_facade(series, commander, make_user):
    from crisisgov.citizen.bulletins.facade import clarification_publish, clarifications_recent
    from crisisgov.kernel.actor import SYSTEM

    note = {
        "area_id": series.city.id,
        "claim_zh": "喝白酒能防病毒",
        "claim_en": "Liquor prevents the virus",
        "fact_zh": "不能",
        "fact_en": "It does not",
        "source_url": "https://example.org/fact",
    }
    created = commander.post(f"{API}/clarifications", note, content_type="application/json")
    assert created.status_code == 201
    bad = commander.post(
        f"{API}/clarifications", note | {"fact_en": ""}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "fact_en"
    link = commander.post(
        f"{API}/clarifications",
        note | {"source_url": "javascript:alert(1)"},
        content_type="application/json",
    )
    assert link.status_code == 400 and link.json()["detail"][0]["field"] == "source_url"
    outsider = Client()
    outsider.force_login(make_user("commander", series.district_a))
    assert (
        outsider.post(
            f"{API}/clarifications",
            note | {"area_id": series.district_b.id},
            content_type="application/json",
        ).status_code
        == 404
    )
    rumor = {"claim_zh": "封城", "claim_en": "Lockdown", "fact_zh": "不实", "fact_en": "False"}
    first = clarification_publish(
        actor=SYSTEM, area_id=series.city.id, external_ref="opinion:rumor:1", **rumor
    )
    again = clarification_publish(
        actor=SYSTEM, area_id=series.city.id, external_ref="opinion:rumor:1", **rumor
    )
    assert first.id == again.id and Clarification.objects.count() == 2
    assert [n.claim_en for n in clarifications_recent(area_path=series.district_a.path)] == [
        "Lockdown",
        "Liquor prevents the virus",
    ]
    assert [n["claim_en"] for n in Client().get(f"{API}/clarifications").json()] == [
        "Lockdown",
        "Liquor prevents the virus",
    ]
    # Published today: part of today's bulletin (the bulletin of the day it was published).
    Clarification.objects.filter(pk=first.id).update(
        published_at=timezone.now() - dt.timedelta(days=1)
    )
    bulletin = draft(commander, series.city, _days_back(1))
    publish(commander, bulletin["id"])
    page = Client().get(f"/citizen/bulletins/{bulletin['id']}/?lang=en").content.decode()
    assert "Lockdown" in page and "Liquor" not in page
    rss = Client().get("/citizen/bulletins/feed/rss/en/").content.decode()
    assert "Lockdown" in rss and "Liquor" not in rss  # the feed's item carries the day's notes
    home = Client().get("/citizen/bulletins/?lang=en").content.decode()
    assert 'id="rumor-vs-fact"' in home and "Lockdown" in home and "Liquor" in home
    assert AuditEntry.objects.filter(action="citizen.clarification_published").count() == 2


def test_the_demo_publishes_a_week_of_bulletins_once(series):
    from crisisgov.drills.citizen_bulletins_demo import citizen_bulletins_demo_ensure

    lines = citizen_bulletins_demo_ensure()
    assert "7 published now" in lines[0]
    assert citizen_bulletins_demo_ensure()[0].startswith("Bulletins: 0 published now")
    published = Bulletin.objects.filter(state="published").order_by("date")
    assert [b.date for b in published] == [_days_back(n) for n in range(7, 0, -1)]
    assert [b.number for b in published] == list(range(1, 8))
    assert Clarification.objects.count() == 2


def test_the_officials_desk_drafts_edits_publishes_and_corrects(series, commander, make_user):
    desk = commander.get("/citizen/bulletins/desk/")
    assert desk.status_code == 200
    made = commander.post(
        "/citizen/bulletins/desk/",
        {"area_id": series.city.id, "date": _days_back(1).isoformat()},
    )
    bulletin = Bulletin.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/citizen/bulletins/desk/{bulletin.pk}/"
    texts = {
        "title_zh": "通报",
        "title_en": "",
        "body_zh": "正文",
        "body_en": "Text",
    }
    refused = commander.post(made["Location"], texts | {"action": "publish"})
    assert refused.status_code == 400 and 'data-field="title_en"' in refused.content.decode()
    bulletin.refresh_from_db()
    assert bulletin.state == "draft" and bulletin.title_zh == "通报"
    done = commander.post(made["Location"], texts | {"title_en": "Bulletin", "action": "publish"})
    assert done.status_code == 302 and done["Location"] == f"/citizen/bulletins/{bulletin.pk}/"
    bulletin.refresh_from_db()
    assert (bulletin.state, bulletin.number, bulletin.title_en) == ("published", 1, "Bulletin")
    again = commander.post(made["Location"], texts | {"action": "save"})
    assert again.status_code == 400  # published: never changes
    fix = commander.post(made["Location"], {"action": "correct"})
    correction = Bulletin.objects.get(corrects=bulletin)
    assert fix["Location"] == f"/citizen/bulletins/desk/{correction.pk}/"
    outsider = Client()
    outsider.force_login(make_user("commander", series.district_a))
    assert outsider.get(made["Location"]).status_code == 404
    citizen = Client()
    citizen.force_login(make_user("citizen", series.city))
    assert citizen.get("/citizen/bulletins/desk/").status_code == 404
    assert Client().get("/citizen/bulletins/desk/").status_code == 302  # to the login page
