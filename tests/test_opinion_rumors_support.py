"""Shared pieces of the rumor tests: a small knowledge base of our own (so the tests do not
move when the dataset is edited), posting messages through the opinion intake and delivering
the outbox, and staff clients."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.test import Client

from crisisgov.opinion.analyser import analyse_loop

API = "/api/opinion/rumors"

KB = [
    {
        "id": "T-SALT",
        "hazard": "epidemic",
        "owner": "health",
        "verdict": "false",
        "claim_zh": "用盐水漱口可以杀死喉咙里的病毒，预防感染。",
        "claim_en": "Gargling salt water kills the virus in your throat and prevents infection.",
        "clarification_zh": "盐水漱口不能杀灭呼吸道里的病毒，也不能预防感染。",
        "clarification_en": "Salt water cannot kill virus in the airways or prevent infection.",
        "source": "市疾控中心健康提示 / City CDC advisory",
        "urgent": False,
        "paraphrases": [{"kind": "colloquial_en", "text": "not for the knowledge base"}],
        "debunks": [{"lang": "en", "text": "not for the knowledge base either"}],
    },
    {
        "id": "T-LOCK",
        "hazard": "supply",
        "owner": "market",
        "verdict": "false",
        "claim_zh": "全市明天起封城，所有超市停止营业。",
        "claim_en": "The whole city locks down tomorrow and every supermarket closes.",
        "clarification_zh": "本市未发布封城通告，超市正常营业，物资充足。",
        "clarification_en": "No lockdown has been ordered; supermarkets are open, supplies ample.",
        "source": "市政府新闻办 / City information office",
        "urgent": True,
        "paraphrases": [],
        "debunks": [],
    },
]
SPREADING = "gargling salt water kills the virus in your throat!! tell your family"
DEBUNKING = (
    "Rumor alert: salt water gargling does NOT kill the virus. The CDC says it cannot prevent "
    "infection. Don't believe it."
)
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _ngram_embedder(monkeypatch):
    """The deterministic embedder, and a fresh in-memory index for every test database."""
    from crisisgov.opinion.rumors.matcher import index_forget

    monkeypatch.setenv("CRISISGOV_OPINION_EMBEDDER", "ngram")
    index_forget()
    yield
    index_forget()


@pytest.fixture
def kb(city, tmp_path):
    path = tmp_path / "rumors.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in KB), encoding="utf-8")
    call_command("rumors", "load-kb", "--from", str(path), "--area", city.city.code)
    from crisisgov.opinion.rumors.models import Rumor

    return {r.code: r for r in Rumor.objects.all()}


def post(text: str, area, *, at: dt.datetime | None = None):
    """A citizen post through the intake, analysed, then matched (the analyser's handlers)."""
    from crisisgov.opinion.intake import message_receive

    received = message_receive(channel="post", text=text, posted_at=at, area_code=area.code)
    analyse_loop(once=True)  # the analysis stage, then its event's handlers
    return received.message


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def as_json(response) -> dict:
    assert response.status_code in (200, 201), (response.status_code, response.content)
    return response.json()
