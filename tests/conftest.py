"""Fixtures shared by the cross-app tests."""

import pytest

from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.exchange import services
from crisisgov.kernel.actor import SYSTEM


@pytest.fixture
def dataset(city, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    services.standards_sync()
    from crisisgov.exchange.models import SchemaVersion

    owner = OrganisationFactory(area=city.district_a)
    return services.dataset_create(
        actor=SYSTEM,
        owner_id=owner.pk,
        schema_id=SchemaVersion.objects.get(name="case_report").pk,
        name_zh="江岸区传染病报告",
        name_en="Jiang'an case reports",
        area_id=city.district_a.id,
    )
