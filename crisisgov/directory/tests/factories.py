"""factory_boy factories for directory rows (written straight to the table, no audit)."""

import datetime as dt

import factory

from crisisgov.directory.idnumber import make
from crisisgov.directory.models import Household, Organisation, Person
from crisisgov.kernel.fields import refresh_blind_indexes


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = "department"
    department_type = "health_commission"
    name_zh = factory.Sequence(lambda n: f"卫生健康委员会{n}")
    name_en = factory.Sequence(lambda n: f"Health Commission {n}")
    area_path = factory.LazyAttribute(lambda o: o.area.path)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"1-{101 + n}")
    area_path = factory.LazyAttribute(lambda o: o.building.path)


class PersonFactory(factory.django.DjangoModelFactory):
    """A resident of `home_building` with a valid ID number from that building's district."""

    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"测试居民{n}")
    date_of_birth = dt.date(1980, 1, 1)
    national_id = factory.Sequence(lambda n: make("420102", dt.date(1980, 1, 1), n % 1000))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    sex = factory.LazyAttribute(lambda p: "M" if int(p.national_id[16]) % 2 else "F")
    area_path = factory.LazyAttribute(lambda p: p.home_building.path)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        person = model_class(*args, **kwargs)
        refresh_blind_indexes(person)
        person.save()
        return person
