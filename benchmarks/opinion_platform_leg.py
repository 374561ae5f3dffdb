"""Legs of bench_opinion_platform, each its own process on the database of DATABASE_URL:

- `setup KB`: migrate, a city with four districts, the knowledge base padded to KB rumors
  (the dataset's, then synthetic ones, their claim vectors stored as the platform stores them);
- `intake RATE COUNT SEED START`: COUNT messages through `message_receive` at RATE per second
  (open loop, from the wall-clock time START), as the web processes would call it;
- `analyse BATCH START`: the analysis stage as `crisisgov opinion analyse` runs it, noting
  when each batch was matched; stops on SIGTERM once nothing is pending.

Each prints its figures as JSON on its last line.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import time


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisgov.config.settings")
    import django

    django.setup()


def setup(kb: int) -> dict:
    _django()
    from django.core.management import call_command
    from django.db import connection

    from crisisgov.geo.models import Area
    from crisisgov.kernel.actor import SYSTEM
    from crisisgov.opinion.analysis.evaluation import _synthetic_statements
    from crisisgov.opinion.dataset import load
    from crisisgov.opinion.rumors.kb_source import rows_from
    from crisisgov.opinion.rumors.matcher import encode, to_bytes
    from crisisgov.opinion.rumors.models import Rumor, RumorStatement
    from crisisgov.opinion.rumors.services import kb_bump, kb_load

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":  # every run starts from empty tables
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE opinion_message, opinion_topic, opinion_hotspotbin, "
                "opinion_rumors_rumormatch, kernel_outboxevent, django_tasks_database_dbtaskresult "
                "CASCADE"
            )
    if not Area.objects.filter(code="420100000000").exists():
        city = Area.objects.create(
            code="420100000000", path="4201", level=2, name_zh="武汉市", name_en="Wuhan"
        )
        for n, (zh, en) in enumerate(
            [
                ("江岸区", "Jiang'an"),
                ("江汉区", "Jianghan"),
                ("硚口区", "Qiaokou"),
                ("汉阳区", "Hanyang"),
            ]
        ):
            Area.objects.create(
                code=f"4201{n + 2:02d}000000", path=f"4201{n + 2:02d}", level=3, parent=city,
                name_zh=zh, name_en=en,
            )  # fmt: skip
    kb_load(actor=SYSTEM, rows=rows_from())
    city = Area.objects.get(code="420100000000")
    missing = kb - Rumor.objects.filter(state="confirmed").count()
    if missing > 0:
        texts = _synthetic_statements(load.rumors(), 2 * missing, seed=1)
        start = Rumor.objects.filter(code__startswith="SYN").count()
        for first in range(0, missing, 500):
            chunk = range(first, min(first + 500, missing))
            rumors = Rumor.objects.bulk_create(
                Rumor(code=f"SYN{start + n:05d}", state="confirmed", area=city, area_path=city.path)
                for n in chunk
            )
            claims = [(r, "zh", texts[2 * n + 1]) for r, n in zip(rumors, chunk, strict=True)]
            claims += [(r, "en", texts[2 * n]) for r, n in zip(rumors, chunk, strict=True)]
            vectors = encode([text for _, _, text in claims])
            RumorStatement.objects.bulk_create(
                RumorStatement(
                    rumor=r, language=lang, text=text, kind="canonical", embedding=to_bytes(vector)
                )  # fmt: skip
                for (r, lang, text), vector in zip(claims, vectors, strict=True)
            )
        kb_bump()
    return {"kb": Rumor.objects.filter(state="confirmed").count()}


def intake(rate: float, count: int, seed: int, start: float) -> dict:
    _django()
    from crisisgov.opinion.dataset import load
    from crisisgov.opinion.intake import message_receive

    pool = [t.text for t in load.tickets()] + [m.text for m in load.distractors()]
    pool += [text for r in load.rumors() for _, text in (*r.paraphrases, *r.debunks)]
    rng = random.Random(seed)
    districts = ["420102000000", "420103000000", "420104000000", "420105000000"]
    message_receive(channel="post", text="warm up: 江岸区", area_code=districts[0])
    time.sleep(max(0.0, start - time.time()))
    cpu = time.process_time()
    lag = []
    for n in range(count):
        due = start + n / rate
        now = time.time()
        if due > now:
            time.sleep(due - now)
        else:
            lag.append(now - due)
        text = f"{rng.choice(pool)} #{seed}-{n}"  # distinct: no duplicate shortcut
        message_receive(channel="post", text=text, area_code=rng.choice(districts))
    seconds = time.time() - start
    return {
        "messages": count,
        "seconds": seconds,
        "cpu_ms_per_message": (time.process_time() - cpu) / count * 1000,
        "behind": len(lag),
    }


def analyse(batch: int, start: float) -> dict:
    _django()
    from crisisgov.opinion.analyser import analyse_loop, messages_pending, warm_up
    from crisisgov.opinion.rumors.services import kb_index_warm

    warm_up()  # as `crisisgov opinion analyse` does
    kb_index_warm()

    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    batches: list[tuple[list[int], float]] = []
    cpu = time.process_time()
    analysed = analyse_loop(
        batch=batch,
        running=lambda: not (stopping and messages_pending() == 0),
        on_batch=lambda batch: batches.append((batch.message_ids, time.time())),
    )
    cpu = time.process_time() - cpu
    from crisisgov.opinion.models import Message

    received = {  # the stream's messages (not the intakes' warm-up ones)
        pk: at
        for pk, at in Message.objects.filter(
            pk__in=[i for ids, _ in batches for i in ids]
        ).values_list("pk", "received_at")
        if at.timestamp() >= start
    }
    return {
        "analysed": analysed,
        "cpu_seconds": cpu,
        "batch_sizes": [len(ids) for ids, _ in batches],
        "first_received": min((t.timestamp() for t in received.values()), default=0.0),
        "last_done": max((done for _, done in batches), default=0.0),
        # from the intake's store to the end of the batch's rumor matching
        "latencies": [
            done - received[i].timestamp() for ids, done in batches for i in ids if i in received
        ],
    }


if __name__ == "__main__":
    action, args = sys.argv[1], sys.argv[2:]
    if action == "setup":
        figures = setup(int(args[0]))
    elif action == "intake":
        figures = intake(float(args[0]), int(args[1]), int(args[2]), float(args[3]))
    else:
        figures = analyse(int(args[0]), float(args[1]))
    print(json.dumps(figures))
