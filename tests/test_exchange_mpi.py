"""The master person index on real records: two datasets about overlapping people (case reports
and test results, entered by different clerks) are imported, linked, reviewed and re-linked."""

from __future__ import annotations

import io

import pytest

from crisisgov.exchange import mpi
from crisisgov.exchange.models import MasterPerson, PersonLink, Record, ReviewItem
from crisisgov.kernel import pii
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.models import AuditEntry
from tests.person_index_data import build, case_report, load, make_dataset, person, result_row


@pytest.fixture
def linked(city, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return build(city.district_a, city.building_a)


def rec(key: str) -> Record:
    return Record.objects.get(natural_key=key)


def person_of(key: str) -> int:
    return PersonLink.objects.get(record__natural_key=key).person_id


def clusters() -> set[frozenset[str]]:
    """The index as sets of natural keys, one per active master person."""
    out: dict[int, set[str]] = {}
    for person_id, key in PersonLink.objects.values_list("person_id", "record__natural_key"):
        out.setdefault(person_id, set()).add(key)
    return {frozenset(keys) for keys in out.values()}


def item_of(left: str, right: str) -> ReviewItem:
    return ReviewItem.objects.get(left=rec(left), right=rec(right))


def actions() -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith="exchange.mpi_")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_records_with_one_id_number_share_a_master_person_and_doubtful_pairs_are_queued(
    linked,
):
    assert linked["run"] == mpi.LinkRun(
        area_path="420102", records=68, people=43, review=3, auto_links=5
    )
    for n in range(25):  # same ID number (0-19), or same name and phone (20-24)
        assert person_of(f"R{n:05d}") == person_of(f"S{n:05d}")
    for n in range(25, 28):
        assert person_of(f"R{n:05d}") != person_of(f"S{n:05d}")
    assert len(clusters()) == 43
    queue = {(i.left.natural_key, i.right.natural_key): i for i in ReviewItem.objects.all()}
    assert set(queue) == {("R00025", "S00025"), ("R00026", "S00026"), ("R00027", "S00027")}
    assert dict(queue["R00025", "S00025"].levels) == {
        "name": "exact",
        "date_of_birth": "missing",
        "phone": "different",
        "address": "same area",
    }
    assert {i.status for i in queue.values()} == {"open"}
    assert (
        0.6
        <= min(i.probability for i in queue.values())
        <= max(i.probability for i in queue.values())
        < 0.95
    )
    # The index holds keys only: no name or ID number in clear.
    person = MasterPerson.objects.get(pk=person_of("R00003"))
    assert person.id_index == rec("R00003").id_index
    assert person.area_path == rec("R00003").area_path
    assert actions() == ["exchange.mpi_linked"]


def test_a_merge_joins_the_two_people_and_its_undo_restores_the_index_exactly(
    linked, city, make_user, actor_of
):
    officer = actor_of(make_user("department_officer", city.district_a))
    before = clusters()
    item = item_of("R00025", "S00025")
    left, right = person_of("R00025"), person_of("S00025")
    merge = mpi.review_merge(actor=officer, item_id=item.pk, reason="同一人，换了手机号")
    assert person_of("R00025") == person_of("S00025") == min(left, right)
    assert (merge.survivor_id, merge.absorbed_id) == (min(left, right), max(left, right))
    assert merge.moved_records == [rec("S00025").pk]
    assert MasterPerson.objects.get(pk=max(left, right)).merged_into_id == min(left, right)
    item.refresh_from_db()
    assert (item.status, item.reason) == ("merged", "同一人，换了手机号")
    assert len(clusters()) == len(before) - 1

    undone = mpi.merge_undo(actor=officer, merge_id=merge.pk, reason="看错了")
    assert clusters() == before
    assert (person_of("R00025"), person_of("S00025")) == (left, right)
    assert undone.undone_at is not None and undone.undo_reason == "看错了"
    item.refresh_from_db()
    assert (item.status, item.decided_at) == ("open", None)
    assert MasterPerson.objects.get(pk=max(left, right)).active
    entries = AuditEntry.objects.filter(action__startswith="exchange.mpi_").order_by("seq")
    assert [(e.action, e.actor_username, e.role) for e in entries][1:] == [
        ("exchange.mpi_merged", officer.username, "department_officer"),
        ("exchange.mpi_merge_undone", officer.username, "department_officer"),
    ]
    assert entries[1].detail["reason"] == "同一人，换了手机号"
    with pytest.raises(mpi.Conflict):
        mpi.merge_undo(actor=officer, merge_id=merge.pk, reason="again")


def test_decisions_survive_a_new_run(linked, city, make_user, actor_of):
    officer = actor_of(make_user("department_officer", city.district_a))
    merged = item_of("R00025", "S00025")
    separated = item_of("R00026", "S00026")
    mpi.review_merge(actor=officer, item_id=merged.pk, reason="same person")
    mpi.review_separate(actor=officer, item_id=separated.pk, reason="two people")
    assert actions()[1:] == ["exchange.mpi_merged", "exchange.mpi_separated"]
    before = {key: person_of(key) for key in ("R00001", "S00001", "R00025", "S00025")}
    after_decisions = clusters()

    run = mpi.mpi_link(actor=SYSTEM, area_path=city.district_a.path)
    assert (run.people, run.review) == (42, 1)  # one queued pair left: 27
    assert clusters() == after_decisions
    assert person_of("R00025") == person_of("S00025")
    assert person_of("R00026") != person_of("S00026")
    assert {key: person_of(key) for key in before} == before  # ids stay stable
    merged.refresh_from_db()
    separated.refresh_from_db()
    assert (merged.status, separated.status) == ("merged", "separated")
    assert list(
        ReviewItem.objects.filter(status="open").values_list("right__natural_key", flat=True)
    ) == ["S00027"]


def test_a_separated_pair_stays_apart_even_when_later_data_would_link_it(
    linked, city, make_user, actor_of
):
    officer = actor_of(make_user("department_officer", city.district_a))
    item = item_of("R00025", "S00025")
    mpi.review_separate(actor=officer, item_id=item.pk, reason="另一个人")
    # The test site corrects its phone number: now name and phone agree, a sure link...
    load(linked["tests"], [result_row(25, city.building_a, national_id="")])
    mpi.mpi_link(actor=SYSTEM, area_path=city.district_a.path)
    # ...but the officer's decision stands.
    assert person_of("R00025") != person_of("S00025")
    with pytest.raises(mpi.Conflict):
        mpi.review_merge(actor=officer, item_id=item.pk, reason="changed my mind")


def test_decisions_need_a_reason_and_an_open_pair(linked, city, make_user, actor_of):
    officer = actor_of(make_user("department_officer", city.district_a))
    item = item_of("R00025", "S00025")
    with pytest.raises(mpi.DomainError) as error:
        mpi.review_separate(actor=officer, item_id=item.pk, reason="  ")
    assert error.value.field == "reason"
    mpi.review_separate(actor=officer, item_id=item.pk, reason="two people")
    with pytest.raises(mpi.Conflict):
        mpi.review_merge(actor=officer, item_id=item.pk, reason="one person")


def test_an_undo_waits_for_the_later_merge_of_the_survivor(linked, city, make_user, actor_of):
    officer = actor_of(make_user("department_officer", city.district_a))
    before = clusters()
    first = mpi.review_merge(actor=officer, item_id=item_of("R00026", "S00026").pk, reason="same")
    # An older person (a lower id) absorbs the merged one through a second pair.
    assert person_of("R00001") < first.survivor_id
    item = ReviewItem.objects.create(
        left=rec("R00001"),
        right=rec("R00026"),
        area_path=city.district_a.path,
        kind="review",
        probability=0.7,
        match_weight=1.0,
        levels=[],
    )
    second = mpi.review_merge(actor=officer, item_id=item.pk, reason="same again")
    assert (second.survivor_id, second.absorbed_id) == (person_of("R00001"), first.survivor_id)
    with pytest.raises(mpi.Conflict):
        mpi.merge_undo(actor=officer, merge_id=first.pk, reason="undo")
    mpi.merge_undo(actor=officer, merge_id=second.pk, reason="undo")
    mpi.merge_undo(actor=officer, merge_id=first.pk, reason="undo")
    assert clusters() == before


def test_an_officer_of_another_district_sees_and_changes_nothing(linked, city, make_user, actor_of):
    outsider = actor_of(make_user("department_officer", city.district_b))
    item = item_of("R00025", "S00025")
    assert mpi.review_queue(actor=outsider) == []
    assert mpi.merge_list(actor=outsider) == []
    for call in (
        lambda: mpi.review_merge(actor=outsider, item_id=item.pk, reason="x"),
        lambda: mpi.review_separate(actor=outsider, item_id=item.pk, reason="x"),
        lambda: mpi.master_person_records(actor=outsider, person_id=person_of("R00025")),
        lambda: mpi.mpi_link(actor=outsider, area_path=city.district_a.path),
    ):
        with pytest.raises(mpi.NotFound):
            call()
    item.refresh_from_db()
    assert item.status == "open"
    assert actions() == ["exchange.mpi_linked"]


def test_a_run_over_one_district_leaves_the_other_alone(linked, city, settings):
    other = make_dataset(city.district_b, "case_report", "江汉区病例报告")
    load(other, [case_report(n, city.building_b, report_id=f"B{n}") for n in range(3)])
    mpi.mpi_link(actor=SYSTEM, area_path=city.district_b.path)
    assert PersonLink.objects.filter(area_path__startswith=city.district_b.path).count() == 3
    assert ReviewItem.objects.count() == 3
    # Case report B0 and R00000 carry the same ID number: a run over the city links them.
    mpi.mpi_link(actor=SYSTEM, area_path=city.city.path)
    assert person_of("B0") == person_of("R00000") == person_of("S00000")
    assert MasterPerson.objects.get(pk=person_of("B0")).area_path == "42010"


# --- over HTTP --------------------------------------------------------------------------------


@pytest.fixture
def officer_client(city, make_user):
    from django.test import Client

    client = Client()
    client.force_login(make_user("department_officer", city.district_a))
    return client


def test_the_review_queue_over_http_shows_masked_pairs_with_their_evidence(linked, officer_client):
    answer = officer_client.get("/api/exchange/person-index/review")
    assert answer.status_code == 200
    items = answer.json()
    assert [(i["left"]["record_id"], i["right"]["record_id"]) for i in items] == [
        (i.left_id, i.right_id) for i in ReviewItem.objects.order_by("-probability", "id")
    ]
    first = next(i for i in items if i["right"]["record_id"] == rec("S00025").pk)
    assert first["levels"] == {
        "name": "exact",
        "date_of_birth": "missing",
        "phone": "different",
        "address": "same area",
    }
    plain = person(25)
    left = first["left"]
    assert left["schema_name"] == "case_report" and left["dataset"] == "江岸区病例报告"
    assert left["fields"]["name"] == pii.mask_name(plain["name"]) != plain["name"]
    assert left["fields"]["national_id"] == pii.mask_national_id(plain["national_id"])
    assert left["fields"]["phone"] == "139****0025"
    assert left["person_id"] == person_of("R00025")
    assert plain["name"] not in answer.content.decode()
    assert officer_client.get("/api/exchange/person-index/review?status=merged").json() == []


def test_merge_undo_and_separate_over_http(linked, officer_client):
    item = item_of("R00025", "S00025")
    url = f"/api/exchange/person-index/review/{item.pk}"
    assert (
        officer_client.post(f"{url}/merge", {}, content_type="application/json").status_code == 422
    )
    merged = officer_client.post(
        f"{url}/merge", {"reason": "同一人"}, content_type="application/json"
    )
    assert merged.status_code == 200, merged.content
    merge = merged.json()
    assert merge["moved_records"] == [rec("S00025").pk] and merge["undone_at"] is None
    assert person_of("R00025") == person_of("S00025")
    again = officer_client.post(f"{url}/merge", {"reason": "x"}, content_type="application/json")
    assert again.status_code == 409
    listed = officer_client.get("/api/exchange/person-index/merges").json()
    assert [m["id"] for m in listed] == [merge["id"]]
    undone = officer_client.post(
        f"/api/exchange/person-index/merges/{merge['id']}/undo",
        {"reason": "看错了"},
        content_type="application/json",
    )
    assert undone.status_code == 200 and undone.json()["undo_reason"] == "看错了"
    assert person_of("R00025") != person_of("S00025")
    separated = officer_client.post(
        f"{url}/separate", {"reason": "两个人"}, content_type="application/json"
    )
    assert separated.status_code == 200
    assert (separated.json()["status"], separated.json()["reason"]) == ("separated", "两个人")
    assert actions()[1:] == [
        "exchange.mpi_merged",
        "exchange.mpi_merge_undone",
        "exchange.mpi_separated",
    ]


def test_a_master_persons_records_are_masked_unless_read_with_a_purpose(linked, officer_client):
    url = f"/api/exchange/person-index/people/{person_of('R00003')}/records"
    masked = officer_client.get(url).json()
    assert [r["record_id"] for r in masked["records"]] == [rec("R00003").pk, rec("S00003").pk]
    assert {r["fields"]["name"] for r in masked["records"]} == {pii.mask_name(person(3)["name"])}
    assert masked["purpose"] == ""
    assert actions() == ["exchange.mpi_linked"]  # a masked read is not a personal-data read
    assert officer_client.get(f"{url}?purpose=statistics").status_code == 400
    whole = officer_client.get(f"{url}?purpose=epidemic_control").json()
    assert {r["fields"]["national_id"] for r in whole["records"]} == {person(3)["national_id"]}
    entry = AuditEntry.objects.get(action="exchange.mpi_person_read")
    assert (entry.purpose, entry.target_id, entry.detail) == (
        "epidemic_control",
        str(person_of("R00003")),
        {"records": 2},
    )
    assert list(entry.fields_read) == ["name", "national_id", "phone"]
    assert (
        officer_client.get("/api/exchange/person-index/people/99999999/records").status_code == 404
    )


def test_a_run_is_queued_over_http_and_runs_as_a_task_and_from_the_shell(
    linked, city, officer_client, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from crisisgov.exchange.tasks import link_people

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = officer_client.post(
            "/api/exchange/person-index/runs",
            {"area_id": city.district_a.id},
            content_type="application/json",
        )
    assert queued.status_code == 202
    assert queued.json() == {"area_path": city.district_a.path, "status": "queued"}
    assert len(callbacks) == 1
    far = officer_client.post(
        "/api/exchange/person-index/runs",
        {"area_id": city.district_b.id},
        content_type="application/json",
    )
    assert far.status_code == 404
    assert link_people.call(area_path=city.district_a.path) == {
        "records": 68,
        "people": 43,
        "review": 3,
    }
    out = io.StringIO()
    call_command("exchange", "link", "--area", city.district_a.code, stdout=out)
    assert out.getvalue() == "linked 68 records into 43 people; 3 pairs to review\n"
    assert actions() == ["exchange.mpi_linked"] * 3


# --- the review page --------------------------------------------------------------------------


def test_the_review_page_shows_masked_pairs_and_takes_decisions(linked, officer_client):
    page = officer_client.get("/exchange/person-index/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="review-pair"') == 3
    assert "合并：同一人" in html and "分开：两个人" in html and "完全一致" in html
    assert pii.mask_name(person(25)["name"]) in html
    assert person(25)["name"] not in html and person(25)["national_id"] not in html
    assert 'name="csrfmiddlewaretoken"' in html

    item = item_of("R00025", "S00025")
    url = f"/exchange/person-index/review/{item.pk}/"
    refused = officer_client.post(url, {"decision": "merge", "reason": ""})
    assert refused.status_code == 400
    assert "give the reason for the decision" in refused.content.decode()
    item.refresh_from_db()
    assert item.status == "open"
    done = officer_client.post(url, {"decision": "merge", "reason": "同一人"})
    assert (done.status_code, done["Location"]) == (302, "/exchange/person-index/")
    assert person_of("R00025") == person_of("S00025")
    page = officer_client.get("/exchange/person-index/").content.decode()
    assert page.count('class="review-pair"') == 2 and "撤销合并" in page
    merge = mpi.merge_list(actor=SYSTEM)[0]
    undo = officer_client.post(f"/exchange/person-index/merges/{merge.pk}/undo/", {"reason": "错"})
    assert (undo.status_code, undo["Location"]) == (302, "/exchange/person-index/#merges")
    assert person_of("R00025") != person_of("S00025")
    english = officer_client.get("/exchange/person-index/", headers={"accept-language": "en"})
    assert "Merge: one person" in english.content.decode()


def test_the_review_page_hides_other_districts(linked, city, make_user):
    from django.test import Client

    client = Client()
    item = item_of("R00025", "S00025")
    assert client.get("/exchange/person-index/").status_code == 302  # to the login page
    client.force_login(make_user("department_officer", city.district_b))
    page = client.get("/exchange/person-index/").content.decode()
    assert 'class="review-pair"' not in page and 'id="review-empty"' in page
    url = f"/exchange/person-index/review/{item.pk}/"
    assert client.post(url, {"decision": "merge", "reason": "x"}).status_code == 404
    client.force_login(make_user("grid_worker", city.grid_a))  # no review right at all
    assert client.get("/exchange/person-index/").status_code == 404
    item.refresh_from_db()
    assert item.status == "open"
