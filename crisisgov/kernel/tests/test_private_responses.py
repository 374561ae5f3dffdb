"""Responses to a logged-in user or a token holder are kept out of shared caches."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from crisisgov.kernel.middleware import PrivateResponsesMiddleware

pytestmark = pytest.mark.django_db


def test_an_api_answer_to_a_logged_in_auditor_is_private(client, make_user, city):
    client.force_login(make_user("auditor", city.district_a))
    response = client.get("/api/kernel/audit/verify")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_an_answer_to_a_bearer_token_is_private_even_when_refused(client):
    response = client.get("/api/kernel/audit/verify", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response["Cache-Control"] == "private, no-store"


def test_an_anonymous_answer_is_left_to_the_view(client):
    refused = client.get("/api/kernel/audit/verify")
    assert refused.status_code == 401
    assert not refused.has_header("Cache-Control")


def test_without_a_session_cookie_the_session_is_not_read():
    """Reading it would add "Vary: Cookie" to public answers that caches could share."""

    def never(*args: object) -> object:
        raise AssertionError("request.user was evaluated")

    request = RequestFactory().get("/api/geo/areas")
    request.session = SessionStore()
    request.user = SimpleLazyObject(never)  # type: ignore[assignment]
    response = PrivateResponsesMiddleware(lambda request: HttpResponse("public"))(request)
    assert not response.has_header("Cache-Control")
    assert request.session.accessed is False


def test_the_anonymous_login_page_keeps_its_own_cache_control(client):
    response = client.get("/login/")
    assert response.status_code == 200
    # Django's LoginView sets never_cache itself; the middleware does not force its own.
    assert response["Cache-Control"] != "private, no-store"
    assert "no-cache" in response["Cache-Control"]


def test_a_view_that_set_cache_control_is_left_alone(make_user, city):
    def view(request):
        response = HttpResponse("ok")
        response["Cache-Control"] = "public, max-age=60"
        return response

    request = RequestFactory().get("/", headers={"Authorization": "Bearer anything"})
    response = PrivateResponsesMiddleware(view)(request)
    assert response["Cache-Control"] == "public, max-age=60"


def test_a_page_for_a_logged_in_user_is_private(client, make_user, city):
    client.force_login(make_user("commander", city.district_a))
    response = client.get("/", follow=True)
    assert (response.redirect_chain[-1][1], response.status_code) == (302, 200)
    assert response["Cache-Control"] == "private, no-store"
