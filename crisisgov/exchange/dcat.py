"""The catalogue as DCAT-AP style JSON-LD, for other government data portals.

Only metadata: names, publisher, area, the standard a dataset conforms to, whether access is
restricted (a dataset with personal fields is) and, for open datasets, the CSV's address. Never a
record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from crisisgov.exchange.models import Dataset
from crisisgov.exchange.tableschema import TableSchema

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
}


def _restricted(dataset: Dataset) -> bool:
    return bool(TableSchema.from_descriptor(dataset.schema.descriptor).personal_fields)


def catalog_jsonld(
    datasets: Iterable[Dataset],
    *,
    base_url: str,
    publisher_name: Callable[[int], tuple[str, str]],
    area_code: Callable[[int], str],
) -> dict:
    """A `dcat:Catalog` with one `dcat:Dataset` per dataset.

    `publisher_name(owner_id)` gives the owner's (zh, en) names and `area_code(area_id)` the
    area's administrative code, so that this module needs no other app."""
    entries = []
    for dataset in datasets:
        zh, en = publisher_name(dataset.owner_id)
        entries.append(
            {
                "@id": f"{base_url}datasets/{dataset.pk}/",
                "@type": "dcat:Dataset",
                "dct:identifier": str(dataset.pk),
                "dct:title": [
                    {"@value": dataset.name_zh, "@language": "zh-Hans"},
                    {"@value": dataset.name_en, "@language": "en"},
                ],
                "dct:description": dataset.description,
                "dct:publisher": {
                    "@type": "foaf:Organization",
                    "foaf:name": [
                        {"@value": zh, "@language": "zh-Hans"},
                        {"@value": en, "@language": "en"},
                    ],
                },
                "dct:spatial": area_code(dataset.area_id),
                "dct:conformsTo": str(dataset.schema),
                "dct:accessRights": "restricted" if _restricted(dataset) else "public",
            }
        )
        if dataset.open:  # counts (or records, when nothing is personal) anyone may download
            entries[-1]["dcat:distribution"] = {
                "@type": "dcat:Distribution",
                "dcat:downloadURL": f"{base_url}open/{dataset.pk}.csv",
                "dcat:mediaType": "text/csv",
            }
    return {
        "@context": CONTEXT,
        "@id": f"{base_url}catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": [
            {"@value": "CrisisGov 数据目录", "@language": "zh-Hans"},
            {"@value": "CrisisGov data catalogue", "@language": "en"},
        ],
        "dcat:dataset": entries,
    }
