"""Open data: a personal dataset publishes only counts with small cells suppressed; a
non-personal one its records; every CSV escapes formula-like text; unpublished is no page."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from crisisgov.directory.models import Organisation
from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.exchange import services
from crisisgov.exchange.models import SchemaVersion
from crisisgov.exchange.opendata import csv_safe, dataset_publish
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import DomainError, NotFound
from crisisgov.kernel.models import AuditEntry
from tests.exchange_data import case_row, csv_bytes, run


def download(dataset_id: int) -> tuple[int, list[list[str]]]:
    answer = Client().get(f"/exchange/open/{dataset_id}.csv")  # anonymous: open means open
    if answer.status_code != 200:
        return answer.status_code, []
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    return 200, list(csv.reader(io.StringIO(text)))


@pytest.fixture
def owner(city, dataset, make_user, actor_of):
    organisation = Organisation.objects.get(pk=dataset.owner_id)
    return actor_of(make_user("department_officer", city.district_a, organisation))


def test_counts_below_ten_are_suppressed_and_no_record_is_published(city, dataset, owner):
    rows = [case_row(n, city) for n in range(1, 13)]  # 12 confirmed
    rows += [case_row(n, city, case_type="suspected") for n in range(13, 16)]  # 3 suspected
    run(dataset, csv_bytes(rows))
    assert download(dataset.pk)[0] == 404  # not published yet
    with pytest.raises(DomainError) as refused:
        dataset_publish(actor=owner, dataset_id=dataset.pk, open=True)
    assert refused.value.field == "dimensions"  # personal data: counts only
    with pytest.raises(DomainError) as refused:
        dataset_publish(actor=owner, dataset_id=dataset.pk, open=True, dimensions=["name"])
    assert refused.value.field == "dimensions" and "name" in refused.value.message

    dataset_publish(
        actor=owner, dataset_id=dataset.pk, open=True, dimensions=["area:district", "case_type"]
    )
    status, table = download(dataset.pk)
    assert status == 200
    header, *cells = table
    assert header == ["district_code", "district_name_zh", "district_name_en", "case_type", "count"]
    by_type = {row[3]: row[4] for row in cells}
    assert by_type == {"confirmed": "12", "suspected": "<10"}
    assert {row[0] for row in cells} == {city.district_a.code}
    text = "".join(",".join(row) for row in table)
    assert "病例" not in text and "139" not in text  # no name, no phone
    assert AuditEntry.objects.filter(action="exchange.dataset_published").count() == 1


def test_the_counts_follow_new_records(city, dataset, owner):
    run(dataset, csv_bytes([case_row(n, city) for n in range(1, 10)]))
    dataset_publish(actor=owner, dataset_id=dataset.pk, open=True, dimensions=["case_type"])
    assert download(dataset.pk)[1][1] == ["confirmed", "<10"]
    run(dataset, csv_bytes([case_row(10, city)]))
    assert download(dataset.pk)[1][1] == ["confirmed", "10"]


def test_a_non_personal_dataset_publishes_its_records_with_formulas_escaped(city, owner):
    stock = services.dataset_create(
        actor=SYSTEM,
        owner_id=OrganisationFactory(area=city.district_a).pk,
        schema_id=SchemaVersion.objects.get(name="material_stock").pk,
        name_zh="江岸区物资库存",
        name_en="Jiang'an stock",
        area_id=city.district_a.id,
    )
    header = (
        "warehouse_code,warehouse_name,area_code,material_code,material_name,category,unit,"
        "quantity,stock_date\r\n"
    )
    body = (
        f'W1,"=HYPERLINK(""http://evil.example"",""点我"")",{city.district_a.code},M1,口罩,ppe,个,5000,2026-11-20\r\n'
        f"W1,+1-2 仓库,{city.district_a.code},M2,@SUM(A1),ppe,个,-0,2026-11-20\r\n"
    )
    job = run(stock, (header + body).encode(), filename="stock.csv")
    assert job.rows_created == 2, list(job.rejected.values_list("errors", flat=True))
    dataset_publish(actor=SYSTEM, dataset_id=stock.pk, open=True)
    status, table = download(stock.pk)
    assert status == 200 and len(table) == 3
    cells = [c for row in table[1:] for c in row]
    assert '\'=HYPERLINK("http://evil.example","点我")' in cells
    assert "'+1-2 仓库" in cells and "'@SUM(A1)" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert "5000" in cells  # numbers stay numbers


def test_csv_safe_leaves_numbers_and_plain_text_alone():
    assert csv_safe("-12.5") == "-12.5" and csv_safe(-3) == -3 and csv_safe("口罩") == "口罩"
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("\t=cmd") == "'\t=cmd"


def test_only_the_owner_publishes_and_the_page_lists_what_is_open(
    city, dataset, owner, make_user, actor_of
):
    stranger = actor_of(make_user("department_officer", city.district_b))
    with pytest.raises(NotFound):
        dataset_publish(actor=stranger, dataset_id=dataset.pk, open=True, dimensions=["case_type"])
    dataset_publish(actor=owner, dataset_id=dataset.pk, open=True, dimensions=["case_type"])
    page = Client().get("/exchange/open/").content.decode()
    assert f'data-dataset-id="{dataset.pk}"' in page and f"/exchange/open/{dataset.pk}.csv" in page
    dataset_publish(actor=owner, dataset_id=dataset.pk, open=False)
    assert download(dataset.pk)[0] == 404


def test_the_owner_publishes_from_the_dataset_page(city, dataset, make_user):
    organisation = Organisation.objects.get(pk=dataset.owner_id)
    client = Client()
    client.force_login(make_user("department_officer", city.district_a, organisation))
    url = f"/exchange/datasets/{dataset.pk}/publication/"
    refused = client.post(url, {"open": "1"})
    assert refused.status_code == 400 and 'data-field="dimensions"' in refused.content.decode()
    done = client.post(url, {"open": "1", "dimensions": ["area:street", "report_date"]})
    assert done.status_code == 302
    page = client.get(f"/exchange/datasets/{dataset.pk}/").content.decode()
    assert "data-open-csv" in page
    ld = client.get("/exchange/catalog.jsonld").json()
    [entry] = [d for d in ld["dcat:dataset"] if d["dct:identifier"] == str(dataset.pk)]
    assert entry["dcat:distribution"]["dcat:downloadURL"].endswith(f"/open/{dataset.pk}.csv")
