"""The shared "anonymous" and "other jurisdiction" cases every endpoint must pass.

`assert_hidden_from_outsiders` sends one request twice, once with nobody logged in and once
as a user from another jurisdiction, and proves that the first is refused with 401, that the
second learns nothing (the answer equals the one for a missing object, or is a 404), and that
neither changed anything (a snapshot of the relevant rows is equal before and after).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model
from django.test import Client

Snapshot = Callable[[], Any]


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    """A JSON request; `body` is encoded unless it is already bytes or str."""
    if body is None:
        return client.generic(method.upper(), url)
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.generic(method.upper(), url, data=data, content_type="application/json")


def rows_snapshot(*models: type[Model]) -> Snapshot:
    """A snapshot of every row of `models` (use small test databases)."""

    def take() -> dict[str, list[dict[str, Any]]]:
        return {
            model._meta.label: list(model._default_manager.order_by("pk").values())
            for model in models
        }

    return take


def _answer(response: Any) -> tuple[int, Any]:
    content_type = response.headers.get("Content-Type", "")
    body = response.json() if content_type.startswith("application/json") else response.content
    return response.status_code, body


def assert_hidden_from_outsiders(
    client: Client,
    method: str,
    url: str,
    outsider_user: Any,
    body: Any = None,
    *,
    snapshot: Snapshot,
    missing_url: str | None = None,
    missing_body: Any = None,
    normalise: Callable[[Any], Any] = lambda answer: answer,
    expected_status: Iterable[int] = (404,),
) -> Any:
    """Prove an anonymous caller and `outsider_user` see nothing and change nothing.

    With `missing_url` (or `missing_body`) the outsider's answer must equal, status and body,
    the answer to the same request about an object that does not exist (after `normalise`,
    for answers that must quote the caller's own input). Without it, the outsider's status
    must be one of `expected_status`. Returns the outsider's response (a test-client one).
    """
    before = snapshot()

    client.logout()
    anonymous = send(client, method, url, body)
    assert anonymous.status_code == 401, (anonymous.status_code, anonymous.content)
    assert snapshot() == before, "an anonymous request changed data"

    client.force_login(outsider_user)
    try:
        hidden = send(client, method, url, body)
        assert snapshot() == before, "another jurisdiction's request changed data"
        if missing_url is not None or missing_body is not None:
            missing = send(
                client,
                method,
                missing_url or url,
                missing_body if missing_body is not None else body,
            )
            assert snapshot() == before, "a request about a missing object changed data"
            status, answer = _answer(hidden)
            missing_status, missing_answer = _answer(missing)
            assert (status, normalise(answer)) == (missing_status, normalise(missing_answer))
        else:
            assert hidden.status_code in tuple(expected_status), (
                hidden.status_code,
                hidden.content,
            )
    finally:
        client.logout()
    return hidden
