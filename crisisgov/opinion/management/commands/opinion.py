"""`crisisgov opinion import-csv FILE --source NAME [--area CODE]`: import a social-media export
(UTF-8 or GBK) as the system; bad rows are listed by row and column, good rows kept.

`crisisgov opinion source-add NAME --channel webhook --area CODE`: register a partner platform
and print its signing secret (once).

`crisisgov opinion source-rotate NAME`: give a partner platform a new signing secret (printed
once; the old one stops working). `crisisgov opinion source-deactivate NAME [--reason TEXT]`:
refuse a partner's (or an export's) deliveries from now on; its messages stay.

`crisisgov opinion evaluate [--embedder use|ngram] [--no-throughput]`: print the measured
figures of the understanding layer (analysis/evaluation.py) and of the hot-spot detector on
generated streams with injected bursts (analysis/bursts.py), against the issue's targets.

`crisisgov opinion analyse [--batch 64] [--poll 0.05] [--once]`: the analysis stage
(analyser.py): embed, assign topics and sentiment, count hot spots and match rumors for the
messages the intake stored, in micro-batches; run one per core beside the web processes.
`--once` stops when nothing is pending.

`crisisgov opinion demo`: seed the simulated stream of the demo (demo.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from crisisgov.geo.facade import area_id_for_code
from crisisgov.kernel.actor import SYSTEM
from crisisgov.kernel.errors import DomainError


class Command(BaseCommand):
    help = (
        "Public opinion: import CSV exports, register, rotate or deactivate partners, "
        "evaluate, seed the demo."
    )

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imports = sub.add_parser("import-csv", help="import a social-media CSV export")
        imports.add_argument("file")
        imports.add_argument("--source", required=True, help="the export's source name")
        imports.add_argument("--area", default="", help="area code of a new source")
        source = sub.add_parser("source-add", help="register a partner platform or export")
        source.add_argument("name")
        source.add_argument("--channel", choices=["webhook", "social"], default="webhook")
        source.add_argument("--area", required=True, help="area code the source covers")
        rotate = sub.add_parser("source-rotate", help="give a partner a new signing secret")
        rotate.add_argument("name")
        deactivate = sub.add_parser("source-deactivate", help="stop a partner or an export")
        deactivate.add_argument("name")
        deactivate.add_argument("--reason", default="")
        evaluate = sub.add_parser("evaluate", help="print the measured figures")
        evaluate.add_argument("--embedder", choices=["use", "ngram"], default=None)
        evaluate.add_argument("--no-throughput", action="store_true")
        sub.add_parser("demo", help="seed the demo's simulated stream of messages")
        analyse = sub.add_parser("analyse", help="run the analysis stage (micro-batches)")
        analyse.add_argument("--batch", type=int, default=64, help="messages per batch at most")
        analyse.add_argument("--poll", type=float, default=0.05, help="seconds between polls")
        analyse.add_argument("--once", action="store_true", help="stop when nothing is pending")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, "_" + action.replace("-", "_"))(**options)
        except DomainError as exc:
            where = f"{exc.field}: " if exc.field else ""
            raise CommandError(f"{where}{exc.message}") from None

    def _analyse(self, *, batch: int, poll: float, once: bool, **_: Any) -> None:
        import signal

        from crisisgov.opinion.analyser import analyse_loop, warm_up

        if batch < 1 or poll <= 0:
            raise CommandError("--batch is at least 1 and --poll more than 0")
        from crisisgov.opinion.rumors.services import kb_index_warm

        stop = []
        warm_up()
        kb_index_warm()
        if not once:  # finish the batch in hand on SIGTERM, then stop
            signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
        analysed = analyse_loop(batch=batch, poll=poll, once=once, running=lambda: not stop)
        self.stdout.write(f"analysed {analysed} messages")

    def _area_id(self, code: str) -> int | None:
        if not code:
            return None
        area_id = area_id_for_code(code)
        if area_id is None:
            raise CommandError(f"--area: no area with code {code}")
        return area_id

    def _import_csv(self, *, file: str, source: str, area: str, **_: Any) -> None:
        from crisisgov.opinion.imports import messages_import_csv, source_for_import

        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        found = source_for_import(actor=SYSTEM, name=source, area_id=self._area_id(area))
        result = messages_import_csv(actor=SYSTEM, source=found, data=path.read_bytes())
        self.stdout.write(
            f"{result.created} new, {result.unchanged} already imported, "
            f"{len(result.errors)} rejected (read as {result.encoding})"
        )
        for error in result.errors:
            column = f", {error.column}" if error.column else ""
            self.stdout.write(f"  row {error.row}{column}: {error.message}")

    def _source_add(self, *, name: str, channel: str, area: str, **_: Any) -> None:
        from crisisgov.opinion.services import source_create

        source, secret = source_create(
            actor=SYSTEM, name=name, channel=channel, area_id=self._area_id(area) or 0
        )
        self.stdout.write(f"registered {source.name} ({source.channel})")
        if secret:
            self.stdout.write(f"webhook: POST /api/opinion/webhook/{source.name}")
            self.stdout.write(f"signing secret (shown once): {secret}")

    def _source_rotate(self, *, name: str, **_: Any) -> None:
        from crisisgov.opinion.services import source_rotate_secret

        source, secret = source_rotate_secret(actor=SYSTEM, name=name)
        self.stdout.write(f"new signing secret of {source.name} (shown once): {secret}")
        self.stdout.write("the old secret no longer works")

    def _source_deactivate(self, *, name: str, reason: str, **_: Any) -> None:
        from crisisgov.opinion.services import source_deactivate

        source = source_deactivate(actor=SYSTEM, name=name, reason=reason)
        self.stdout.write(f"deactivated {source.name}: its deliveries are refused from now on")

    def _evaluate(self, *, embedder: str | None, no_throughput: bool, **_: Any) -> None:
        from crisisgov.opinion.analysis import evaluation
        from crisisgov.opinion.analysis.embeddings import embedder as make_embedder

        model = make_embedder(embedder)
        self.stdout.write(f"embedder: {model.name}")
        figures = evaluation.evaluate(model, throughput=not no_throughput)
        self.stdout.write(evaluation.report(figures))  # bursts and PII included

    def _demo(self, **_: Any) -> None:
        from crisisgov.opinion.demo import opinion_demo_ensure

        self.stdout.write(opinion_demo_ensure())
