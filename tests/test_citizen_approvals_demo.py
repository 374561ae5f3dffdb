"""The demo's online approvals: a service, an application halfway with an escalated overdue
step, an approved one with a valid certificate; a second run changes nothing."""

from __future__ import annotations

from django.test import Client

from crisisgov.citizen.approvals.models import Application, Certificate, Service, Step
from crisisgov.directory.tests.factories import OrganisationFactory
from crisisgov.drills.citizen_approvals_demo import citizen_approvals_demo_ensure


def test_the_demo_shows_an_application_halfway_and_one_certified(
    city, make_user, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    district = city.district_a
    kinds = ("market_regulation", "health_commission", "emergency_management")
    orgs = {kind: OrganisationFactory(area=district, department_type=kind) for kind in kinds}
    head = make_user(
        "department_officer",
        district,
        orgs["health_commission"],
        username="demo-department-officer",
    )
    lines = citizen_approvals_demo_ensure()
    assert len(lines) == 3 and "halfway" in lines[1]

    service = Service.objects.get(slug="resumption-of-work")
    halfway, approved = (
        Application.objects.get(company_name=name)
        for name in ("武汉鑫达机械制造有限公司", "武汉江城食品有限公司")
    )
    steps = {s.department.department_type: s for s in Step.objects.filter(application=halfway)}
    assert steps["market_regulation"].state == "approved"
    health = steps["health_commission"]
    assert (health.state, health.overdue, health.escalated_to) == ("pending", True, head)
    assert steps["emergency_management"].state == "waiting"
    assert approved.state == "approved" and approved.visits == 1

    # The head sees it in the inbox as overdue and escalated to them.
    client = Client()
    client.force_login(head)
    row = client.get("/api/citizen/approvals/inbox").json()[0]
    assert (row["application_id"], row["escalated_to_me"]) == (halfway.pk, True)
    verify = lines[2].rsplit(" at ", 1)[1]
    assert 'data-status="valid"' in Client().get(verify).content.decode()

    assert len(citizen_approvals_demo_ensure()) == 2  # the head is designated already
    assert Application.objects.count() == 2 and Certificate.objects.count() == 1
    assert Service.objects.count() == 1 and service.versions.count() == 1
