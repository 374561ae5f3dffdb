"""Health status from exchange records: each kind of evidence through a real import, the rule
and record named, recomputation when records change, the risk-area stay, the published rules
and the command."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from crisisgov.citizen import status_rules
from crisisgov.citizen.models import HealthStatus
from crisisgov.citizen.status import statuses_compute_for_ids
from crisisgov.directory.idnumber import make
from crisisgov.directory.tests.factories import OrganisationFactory, PersonFactory
from crisisgov.exchange import services
from crisisgov.exchange.imports import import_create, import_run
from crisisgov.exchange.models import Record, RejectedRow, SchemaVersion
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.outbox import outbox_deliver_due

CITY_TZ = dt.timezone(dt.timedelta(hours=8))


def days_ago(days: float) -> dt.datetime:
    return (timezone.now() - dt.timedelta(days=days)).astimezone(CITY_TZ)


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def day(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d")


class Loader:
    """Imports rows of a standard into one dataset per standard, as a department would."""

    def __init__(self, city):
        self.city = city
        self.datasets: dict[str, int] = {}
        services.standards_sync()
        self.owner = OrganisationFactory(area=city.district_a)

    def load(self, standard: str, rows: list[dict]) -> list[int]:
        if standard not in self.datasets:
            self.datasets[standard] = services.dataset_create(
                actor=SYSTEM,
                owner_id=self.owner.pk,
                schema_id=SchemaVersion.objects.get(name=standard).pk,
                name_zh=f"{standard}数据",
                name_en=f"{standard} data",
                area_id=self.city.district_a.id,
            ).pk
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        job = import_create(
            actor=SYSTEM,
            dataset_id=self.datasets[standard],
            upload=io.BytesIO(out.getvalue().encode()),
            filename=f"{standard}.csv",
            mode="accept_valid",
        )
        job = import_run(job_id=job.pk)
        problems = list(RejectedRow.objects.filter(job=job).values_list("errors", flat=True))
        assert (job.status, job.rows_rejected) == ("done", 0), (job.problem, problems)
        while outbox_deliver_due():  # what `crisisgov worker` does
            pass
        keys = [next(iter(row.values())) for row in rows]
        ids = dict(
            Record.objects.filter(
                dataset_id=self.datasets[standard], natural_key__in=keys
            ).values_list("natural_key", "id")
        )
        return [ids[k] for k in keys]


@pytest.fixture
def loader(city, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return Loader(city)


@pytest.fixture
def resident(city):
    return PersonFactory(
        home_building=city.building_a,
        national_id=make("420102", dt.date(1948, 3, 9), 21),
        phone="13912345678",
    )


def result_row(resident, n: int, result: str, collected: dt.datetime) -> dict:
    return {
        "sample_id": f"S{n:05d}",
        "name": resident.name,
        "national_id": resident.national_id,
        "test_type": "pcr",
        "pathogen": "SARS-CoV-2",
        "collected_at": stamp(collected),
        "lab_name": "区人民医院检验科",
        "result": result,
        "area_code": resident.home_building.code,
    }


def status_of(person) -> HealthStatus:
    return HealthStatus.objects.get(person_id=person.pk)


def test_a_positive_test_turns_the_resident_red_naming_rule_and_record(loader, resident):
    statuses_compute_for_ids([resident.pk])
    assert (status_of(resident).status, status_of(resident).rule_code) == ("green", "no_evidence")
    [negative] = loader.load("test_result", [result_row(resident, 1, "negative", days_ago(3))])
    assert status_of(resident).status == "green"
    [positive] = loader.load("test_result", [result_row(resident, 2, "positive", days_ago(2))])
    # Recomputed by the outbox handler of exchange.records_changed, nobody asked.
    row = status_of(resident)
    assert (row.status, row.rule_code, row.evidence_standard) == (
        "red",
        "positive_test",
        "test_result",
    )
    assert row.evidence_record_id == positive != negative
    assert row.ruleset_version == status_rules.RULESET_VERSION


def test_an_old_positive_no_longer_counts_and_an_inconclusive_one_is_yellow(loader, resident):
    loader.load("test_result", [result_row(resident, 1, "positive", days_ago(20))])
    assert (status_of(resident).status, status_of(resident).rule_code) == ("green", "no_evidence")
    [record] = loader.load("test_result", [result_row(resident, 2, "inconclusive", days_ago(1))])
    row = status_of(resident)
    assert (row.status, row.rule_code, row.evidence_record_id) == (
        "yellow",
        "inconclusive_test",
        record,
    )


@pytest.mark.parametrize(
    ("case_type", "colour", "rule"),
    [("confirmed", "red", "confirmed_case"), ("suspected", "yellow", "suspected_case")],
)
def test_case_reports(loader, resident, case_type, colour, rule):
    [record] = loader.load(
        "case_report",
        [
            {
                "report_id": "R00001",
                "disease": "新型冠状病毒感染",
                "case_type": case_type,
                "name": resident.name,
                "sex": "1",
                "age": "78",
                "reporting_org": "区人民医院",
                "national_id": resident.national_id,
                "area_code": resident.home_building.code,
                "report_date": day(days_ago(4)),
            }
        ],
    )
    row = status_of(resident)
    assert (row.status, row.rule_code, row.evidence_record_id) == (colour, rule, record)


@pytest.mark.parametrize(
    ("contact_type", "exposed_days_ago", "colour", "rule"),
    [
        ("close", 5, "red", "close_contact"),
        ("secondary", 3, "yellow", "secondary_contact"),
        ("secondary", 9, "green", "no_evidence"),  # past its 7-day window
        ("close", 16, "green", "no_evidence"),  # past its 14-day window
    ],
)
def test_close_contact_designations(loader, resident, contact_type, exposed_days_ago, colour, rule):
    loader.load(
        "close_contact",
        [
            {
                "contact_id": "C00001",
                "index_report_id": "R00009",
                "name": resident.name,
                "phone": resident.phone,
                "status": "notified",
                "national_id": resident.national_id,
                "contact_type": contact_type,
                "last_exposure_date": day(days_ago(exposed_days_ago)),
                "area_code": resident.home_building.code,
            }
        ],
    )
    assert (status_of(resident).status, status_of(resident).rule_code) == (colour, rule)


def quarantine(resident, measure: str, status: str, n: int = 1) -> dict:
    return {
        "order_id": f"Q{n:05d}",
        "name": resident.name,
        "phone": resident.phone,
        "issuing_org": "区疫情防控指挥部",
        "national_id": resident.national_id,
        "measure": measure,
        "reason": "close_contact",
        "start_date": day(days_ago(2)),
        "end_date": day(days_ago(-5)),
        "area_code": resident.home_building.code,
        "status": status,
    }


def test_quarantine_orders_by_measure_and_release(loader, resident):
    loader.load("quarantine_order", [quarantine(resident, "home", "active")])
    assert (status_of(resident).status, status_of(resident).rule_code) == (
        "yellow",
        "home_quarantine",
    )
    loader.load("quarantine_order", [quarantine(resident, "centralised", "active")])
    assert (status_of(resident).status, status_of(resident).rule_code) == (
        "red",
        "centralised_quarantine",
    )
    # The same order, released: the record changes, the colour follows.
    loader.load("quarantine_order", [quarantine(resident, "centralised", "released")])
    assert (status_of(resident).status, status_of(resident).rule_code) == ("green", "no_evidence")


def test_a_stay_counts_only_where_the_risk_was_high_at_the_time(loader, resident, city):
    from crisisgov.earlywarning.models import RiskLevel

    # The venue's street was high from 6 days ago until 2 days ago; low since.
    RiskLevel.objects.create(
        area=city.street_a,
        area_path=city.street_a.path,
        level="high",
        version=1,
        valid_from=days_ago(6),
        valid_to=days_ago(2),
    )
    RiskLevel.objects.create(
        area=city.street_a,
        area_path=city.street_a.path,
        level="low",
        version=2,
        valid_from=days_ago(2),
    )

    def checkin(n: int, when: dt.datetime) -> dict:
        return {
            "checkin_id": f"V{n:05d}",
            "venue_code": "VB1",
            "venue_name": "超市",
            "area_code": city.residential_a.code,
            "checked_in_at": stamp(when),
            "phone": resident.phone,
        }

    statuses_compute_for_ids([resident.pk])
    loader.load("venue_checkin", [checkin(1, days_ago(1))])  # after the level went down
    assert status_of(resident).status == "green"
    [stay] = loader.load("venue_checkin", [checkin(2, days_ago(4))])  # while it was high
    row = status_of(resident)
    assert (row.status, row.rule_code, row.evidence_standard, row.evidence_record_id) == (
        "yellow",
        "high_risk_stay",
        "venue_checkin",
        stay,
    )


def test_red_evidence_wins_over_yellow_and_the_latest_record_is_named(loader, resident):
    loader.load("quarantine_order", [quarantine(resident, "home", "active")])
    older, newer = loader.load(
        "test_result",
        [
            result_row(resident, 1, "positive", days_ago(6)),
            result_row(resident, 2, "positive", days_ago(2)),
        ],
    )
    row = status_of(resident)
    assert (row.status, row.rule_code, row.evidence_record_id) == ("red", "positive_test", newer)
    # It stays red until the newest record's window closes (or a day, whichever comes first).
    assert row.valid_until <= row.computed_at + status_rules.MAX_VALIDITY


def test_another_persons_records_do_not_count(loader, resident, city):
    other = PersonFactory(
        home_building=city.building_a, national_id=make("420102", dt.date(1950, 1, 1), 33)
    )
    loader.load("test_result", [result_row(other, 1, "positive", days_ago(1))])
    statuses_compute_for_ids([resident.pk])
    assert status_of(resident).status == "green"
    assert status_of(other).status == "red"


def test_the_command_computes_an_area_and_refuses_an_unknown_code(resident, city, capsys):
    PersonFactory(home_building=city.building_b, national_id=make("420103", dt.date(1960, 1, 1), 4))
    call_command("citizen", "statuses", "--area", city.district_a.code)
    assert "computed 1 statuses" in capsys.readouterr().out
    assert list(HealthStatus.objects.values_list("person_id", flat=True)) == [resident.pk]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--area"):
        call_command("citizen", "statuses", "--area", "999999999999")


def test_the_published_rules_page_shows_every_rule_in_both_languages(client: Client):
    response = client.get("/citizen/status/rules/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    page = response.content.decode()
    assert status_rules.RULESET_VERSION in page
    for rule in status_rules.RULES:
        assert rule.text_zh in page
        assert rule.text_en in page
        assert f'id="rule-{rule.code}"' in page


def test_the_worker_recomputes_statuses_whose_validity_ended(loader, resident):
    from crisisgov.kernel.outbox import worker_sweeps_run

    [record] = loader.load("test_result", [result_row(resident, 1, "positive", days_ago(13.9))])
    row = status_of(resident)
    assert (row.status, row.evidence_record_id) == ("red", record)
    assert row.valid_until <= timezone.now() + dt.timedelta(hours=3)  # the 14 days end soon
    HealthStatus.objects.filter(pk=row.pk).update(valid_until=timezone.now())
    worker_sweeps_run()
    row = status_of(resident)
    assert row.valid_until > timezone.now()
    assert row.status == "red"  # still inside the window: recomputed, same colour


def test_the_edge_reads_plain_columns_by_person_id(resident):
    from django.db import connection

    statuses_compute_for_ids([resident.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, rule_code, valid_until FROM citizen_healthstatus WHERE person_id = %s",
            [resident.pk],
        )
        status, rule_code, valid_until = cursor.fetchone()
    assert (status, rule_code) == ("green", "no_evidence")
    assert valid_until is not None
