"""Collect-once entry forms: the generated form of every standard, and submissions that land in
the owning dataset, checked like imported rows, and flow on to subscribers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from conftest import make_area
from crisisgov.directory.idnumber import make
from crisisgov.directory.models import Organisation
from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.exchange import agreements, entryforms, services
from crisisgov.exchange.models import Record, RecordChange, SchemaVersion
from crisisgov.exchange.tableschema import standards
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import NotFound
from crisisgov.kernel.models import AuditEntry, OutboxEvent
from tests.exchange_data import case_row


def client_for(user, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def nothing_stored() -> tuple[int, int, int]:
    return Record.objects.count(), RecordChange.objects.count(), OutboxEvent.objects.count()


def expected_widget(spec) -> str:
    """The input each kind of column gets, as the issue lists them."""
    if spec.enum is not None or spec.type == "boolean":
        return "select"
    return {
        "integer": "number",
        "number": "number",
        "date": "date",
        "datetime": "datetime-local",
    }.get(spec.type) or {"phone": "tel", "national_id": "text", "area_code": "text"}.get(
        spec.format or "", "textarea" if (spec.max_length or 0) > 200 else "text"
    )


# --- The generated form -------------------------------------------------------------------------


@pytest.mark.parametrize("schema", standards(), ids=lambda s: s.name)
def test_every_standard_has_one_input_per_field_of_the_right_type(schema):
    assert len(standards()) == 10
    zh = entryforms.build_form(schema, language="zh-hans")
    en = entryforms.build_form(schema, language="en")
    assert [f.name for f in zh] == list(schema.field_names)
    for spec, field, english in zip(schema.fields, zh, en, strict=True):
        assert field.widget == expected_widget(spec), spec.name
        assert (field.label, english.label) == (spec.title_zh, spec.title)
        assert field.help == spec.description and field.required == spec.required
        if spec.enum is not None:
            assert {c.value for c in field.choices} == {str(v) for v in spec.enum}
        if spec.type == "boolean":
            assert [c.value for c in field.choices] == ["是", "否"]
        if spec.type in ("integer", "number") and spec.minimum is not None:
            assert field.attrs["min"] == str(spec.minimum)
        if spec.type in ("integer", "number") and spec.maximum is not None:
            assert field.attrs["max"] == str(spec.maximum)
        if spec.format == "national_id":
            assert field.attrs["inputmode"] == "numeric" and field.attrs["maxlength"] == "18"
        if spec.format == "phone":
            assert field.attrs["pattern"] == entryforms.PHONE_PATTERN
        if spec.type == "string" and spec.max_length and field.widget != "select":
            assert field.attrs["maxlength"] == str(spec.max_length)


def test_the_case_report_form_field_by_field():
    schema = next(s for s in standards() if s.name == "case_report")
    areas = [entryforms.Choice("420102001001", "江岸社区")]
    form = {f.name: f for f in entryforms.build_form(schema, areas=areas, language="zh-hans")}
    assert form["national_id"].attrs == {
        "autocomplete": "off",
        "inputmode": "numeric",
        "maxlength": "18",
        "pattern": "[0-9]{17}[0-9Xx]",
    }
    age = form["age"]
    assert (age.widget, age.attrs["min"], age.attrs["max"]) == ("number", "0", "150")
    case_types = [c.value for c in form["case_type"].choices]
    assert case_types == ["confirmed", "suspected", "asymptomatic"]  # the standard's order
    assert form["area_code"].widget == "select" and form["area_code"].choices == tuple(areas)
    assert form["report_id"].attrs["pattern"] == r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
    assert [n for n, f in form.items() if f.sticky] == ["area_code", "report_date"]
    assert form["name"].label == "姓名" and form["name"].required and form["name"].personal


def test_the_phone_pattern_refuses_before_sending_what_the_server_refuses():
    pattern = re.compile(entryforms.PHONE_PATTERN)
    for good in ("13912345678", "139 1234 5678", "+86 13912345678", "027-85551234"):
        assert pattern.fullmatch(good), good
    for bad in ("12345", "12912345678", "1391234567", "abc"):
        assert not pattern.fullmatch(bad), bad


def test_the_area_select_offers_the_submitters_own_areas(city):
    choices = entryforms.area_choices(entryforms.areas_of_paths((city.grid_a.path,)))
    assert [c.value for c in choices] == [
        city.grid_a.code,
        city.residential_a.code,
        city.building_a.code,
    ]
    district = entryforms.area_choices(entryforms.areas_of_paths((city.district_a.path,)))
    assert [c.value for c in district][0] == city.community_a.code and len(district) == 4


def test_too_many_areas_make_a_text_input_or_stop_at_a_higher_level(city):
    district = entryforms.areas_of_paths((city.district_a.path,))
    assert entryforms.area_choices(district, limit=0) is None
    grid = entryforms.area_choices(entryforms.areas_of_paths((city.grid_a.path,)), limit=1)
    assert [c.value for c in grid] == [city.grid_a.code]
    schema = next(s for s in standards() if s.name == "case_report")
    area = {f.name: f for f in entryforms.build_form(schema, areas=None)}["area_code"]
    assert (area.widget, area.attrs["pattern"]) == ("text", "[0-9]{12,21}")


# --- Submitting ---------------------------------------------------------------------------------


@pytest.fixture
def people(city, dataset, make_user, actor_of):
    owner = Organisation.objects.get(pk=dataset.owner_id)
    return {
        "officer": make_user("department_officer", city.district_a, owner),
        "worker": make_user("grid_worker", city.grid_a),
        "outsider": make_user("department_officer", city.district_b),
        "outside_worker": make_user("grid_worker", city.grid_b),
    }


def submit(actor, dataset, values):
    return entryforms.record_submit(actor=actor, dataset_id=dataset.pk, values=values)


def test_a_valid_submission_lands_with_its_provenance(city, dataset, people, actor_of):
    officer = actor_of(people["officer"])
    submitted = submit(officer, dataset, case_row(1, city))
    record = Record.objects.get()
    assert (submitted.record_id, submitted.outcome) == (record.pk, "created")
    assert (record.source, record.submitted_by_id) == ("form", people["officer"].pk)
    assert record.data["report_id"] == "R000001" and record.data["age"] == 46
    assert record.area_path == city.building_a.path and record.id_index
    entry = AuditEntry.objects.get(action="exchange.form_submitted")
    assert (entry.role, entry.target_id, entry.area_path) == (
        "department_officer",
        str(record.pk),
        city.building_a.path,
    )
    assert entry.detail == {"dataset_id": dataset.pk, "outcome": "created", "via": "form"}
    event = OutboxEvent.objects.get(topic="exchange.records_changed")
    change = RecordChange.objects.get()
    assert event.payload == {
        "dataset_id": dataset.pk,
        "first_change": change.pk,
        "last_change": change.pk,
    }


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"national_id": "420102198001010011"}, "national_id", "the check digit does not match"),
        ({"age": "200"}, "age", "above the maximum 150"),
        ({"name": ""}, "name", "required value is missing"),
        ({"area_code": "420103001001001001001"}, "area_code", entryforms.OUTSIDE_DATASET),
        ({"area_code": "420102999999"}, "area_code", entryforms.OUTSIDE_DATASET),
        ({"phone": "12345"}, "phone", "not a phone number"),
        ({"disease": "新冠\x00"}, "disease", "control characters"),
    ],
)
def test_a_bad_submission_is_refused_naming_the_field_and_stores_nothing(
    city, dataset, people, actor_of, changes, field, reason
):
    assert make("420102", dt.date(1980, 1, 1), 1) != changes.get("national_id")
    with pytest.raises(entryforms.SubmissionRefused) as refused:
        submit(actor_of(people["officer"]), dataset, case_row(1, city, **changes))
    assert [e.field for e in refused.value.errors] == [field]
    assert reason in refused.value.errors[0].reason
    assert nothing_stored() == (0, 0, 0)
    assert not AuditEntry.objects.filter(action="exchange.form_submitted").exists()


def test_the_same_natural_key_again_updates_instead_of_duplicating(city, dataset, people, actor_of):
    officer = actor_of(people["officer"])
    first = submit(officer, dataset, case_row(1, city))
    again = submit(officer, dataset, case_row(1, city))
    changed = submit(officer, dataset, case_row(1, city, case_type="asymptomatic"))
    assert (again.outcome, changed.outcome) == ("unchanged", "updated")
    assert first.record_id == again.record_id == changed.record_id
    assert Record.objects.get().data["case_type"] == "asymptomatic"
    assert list(RecordChange.objects.order_by("id").values_list("kind", flat=True)) == [
        "created",
        "updated",
    ]


def test_a_submission_reaches_the_subscribers_pull_feed(city, dataset, people, actor_of, make_user):
    consumer_org = OrganisationFactory(area=city.city, department_type="civil_affairs")
    consumer = actor_of(make_user("department_officer", city.city, consumer_org))
    agreement = agreements.agreement_request(
        actor=consumer,
        dataset_id=dataset.pk,
        consumer_id=consumer_org.pk,
        fields=["report_id", "case_type", "name"],
        purpose="relief",
        legal_basis="《突发事件应对法》第五十六条",
        area_id=city.district_a.id,
        valid_until=timezone.now() + dt.timedelta(days=30),
    )
    officer = actor_of(people["officer"])
    agreements.agreement_decide(actor=officer, agreement_id=agreement.pk, approve=True)
    submit(actor_of(people["worker"]), dataset, case_row(7, city))
    page = agreements.agreement_feed(actor=consumer, agreement_id=agreement.pk)
    assert [(i["kind"], i["record"]) for i in page.items] == [
        ("created", {"report_id": "R000007", "case_type": "confirmed", "name": "病例7"})
    ]
    assert OutboxEvent.objects.filter(topic="exchange.records_changed").count() == 1


def test_a_grid_worker_enters_records_of_their_own_grid_only(city, dataset, people, actor_of):
    worker = actor_of(people["worker"])
    community_a2 = make_area(
        code="420102001002",
        level=5,
        parent=city.street_a,
        name_zh="江岸二社区",
        name_en="Jiang'an Community 2",
        box=(114.0, 30.0, 114.1, 30.1),
    )
    target = entryforms.submission_target(actor=worker, dataset_id=dataset.pk)
    assert target.paths == (city.grid_a.path,)
    assert submit(worker, dataset, case_row(1, city)).outcome == "created"
    with pytest.raises(entryforms.SubmissionRefused) as refused:
        submit(worker, dataset, case_row(2, city, area_code=community_a2.code))
    assert [(e.field, e.reason) for e in refused.value.errors] == [
        ("area_code", entryforms.OUTSIDE_OWN_AREA)
    ]
    # A record the district entered elsewhere is not the grid worker's to overwrite.
    submit(actor_of(people["officer"]), dataset, case_row(3, city, area_code=community_a2.code))
    with pytest.raises(entryforms.SubmissionRefused) as refused:
        submit(worker, dataset, case_row(3, city, age="50"))
    assert [e.field for e in refused.value.errors] == ["report_id"]
    assert Record.objects.get(data__report_id="R000003").data["age"] == 46
    assert Record.objects.count() == 2
    entry = AuditEntry.objects.filter(action="exchange.form_submitted").first()
    assert entry.role == "grid_worker"


def test_another_district_gets_not_found_and_nothing_is_stored(city, dataset, people, actor_of):
    for user in (people["outsider"], people["outside_worker"]):
        with pytest.raises(NotFound):
            submit(actor_of(user), dataset, case_row(1, city))
        client = client_for(user)
        assert client.get(f"/exchange/datasets/{dataset.pk}/form/").status_code == 404
        posted = client.post(f"/exchange/datasets/{dataset.pk}/form/", case_row(1, city))
        assert posted.status_code == 404
        assert client.get("/exchange/datasets/99999999/form/").status_code == 404
    assert nothing_stored() == (0, 0, 0)


# --- The pages ----------------------------------------------------------------------------------


def test_every_standards_form_page_renders_one_input_per_field(city, dataset, people):
    owner = Organisation.objects.get(pk=dataset.owner_id)
    client = client_for(people["officer"])
    for version in SchemaVersion.objects.all():
        other = services.dataset_create(
            actor=SYSTEM,
            owner_id=owner.pk,
            schema_id=version.pk,
            name_zh=f"{version.title_zh}（测试）",
            name_en=f"{version.title} (test)",
            area_id=city.district_a.id,
        )
        html = client.get(f"/exchange/datasets/{other.pk}/form/").content.decode()
        names = re.findall(r'<(?:input|select|textarea) id="field-([a-z_0-9]+)"', html)
        fields = [f["name"] for f in version.descriptor["fields"]]
        assert names == fields, version.name
    listing = client.get("/exchange/forms/").content.decode()
    assert listing.count("/form/") == SchemaVersion.objects.count() + 1


def test_the_form_page_keeps_what_was_typed_and_names_the_bad_field(city, dataset, people):
    client = client_for(people["worker"])
    url = f"/exchange/datasets/{dataset.pk}/form/"
    page = client.get(url).content.decode()
    assert 'type="tel"' in page and 'inputmode="numeric" maxlength="18"' in page
    assert f'<option value="{city.building_a.code}">' in page
    assert f'<option value="{city.community_a.code}"' not in page  # above the worker's grid
    bad = case_row(1, city, national_id="420102198001010011", age="200")
    response = client.post(url, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert re.findall(r'class="errors field-error" id="error-([a-z_]+)"', html) == [
        "national_id",
        "age",
    ]
    assert "校验位不符" in html  # the reason in the page's language
    for name in ("report_id", "name", "national_id", "phone", "report_date", "reporting_org"):
        assert f'value="{bad[name]}"' in html, name
    assert f'<option value="{city.building_a.code}" selected>' in html
    assert nothing_stored() == (0, 0, 0)

    english = client_for(people["worker"], "en").post(url, bad).content.decode()
    assert "The check digit does not match" in english and "Age in years" in english


def test_a_stored_entry_confirms_and_keeps_the_sticky_fields(city, dataset, people):
    client = client_for(people["worker"])
    url = f"/exchange/datasets/{dataset.pk}/form/"
    response = client.post(url, case_row(1, city))
    assert response.status_code == 302
    record = Record.objects.get()
    assert response["Location"].startswith(f"{url}?submitted={record.pk}&outcome=created&")
    page = client.get(response["Location"]).content.decode()
    assert 'id="confirmation"' in page and "已保存" in page
    assert f'<option value="{city.building_a.code}" selected>' in page
    assert 'name="report_date" value="2026-11-20"' in page
    assert 'name="report_id" value=""' in page and 'name="name" value=""' in page
    recent = page.split('id="recent"')[1]
    assert "R000001" in recent and "病*" in recent and "病例1" not in recent
    # Someone else's record id in the URL confirms nothing.
    other = client_for(people["officer"]).get(response["Location"]).content.decode()
    assert 'id="confirmation"' not in other


def test_the_dataset_page_links_to_its_form(city, dataset, people):
    html = client_for(people["officer"]).get(f"/exchange/datasets/{dataset.pk}/").content.decode()
    assert f'href="/exchange/datasets/{dataset.pk}/form/"' in html


# --- The API ------------------------------------------------------------------------------------


def test_the_api_enters_a_record_or_names_the_refused_fields(city, dataset, people):
    client = client_for(people["worker"])
    url = f"/api/exchange/datasets/{dataset.pk}/records"
    body = case_row(1, city) | {"age": 46}
    created = client.post(url, body, content_type="application/json")
    assert created.status_code == 201
    assert created.json() == {"id": Record.objects.get().pk, "outcome": "created"}
    assert Record.objects.get().submitted_by_id == people["worker"].pk

    bad = case_row(2, city, age=200, national_id="420102198001010011") | {"colour": "red"}
    refused = client.post(url, bad, content_type="application/json")
    assert refused.status_code == 422
    assert [d["field"] for d in refused.json()["detail"]] == ["colour"]
    nested = client.post(url, case_row(2, city, sex=["1"]), content_type="application/json")
    assert nested.status_code == 422
    assert [d["field"] for d in nested.json()["detail"]] == ["sex"]
    bad = case_row(2, city, age=200, national_id="420102198001010011")
    refused = client.post(url, bad, content_type="application/json")
    assert [(d["field"], d["code"]) for d in refused.json()["detail"]] == [
        ("national_id", "invalid"),
        ("age", "invalid"),
    ]
    assert Record.objects.count() == 1

    assert Client().post(url, body, content_type="application/json").status_code == 401
    outsider = client_for(people["outsider"]).post(url, body, content_type="application/json")
    missing = client_for(people["outsider"]).post(
        "/api/exchange/datasets/99999999/records", body, content_type="application/json"
    )
    assert outsider.status_code == missing.status_code == 404
    assert outsider.json() == missing.json()
    assert Record.objects.count() == 1
