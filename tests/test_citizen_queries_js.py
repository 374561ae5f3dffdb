"""The self-check's trip numbers are folded in the browser exactly as on the server: the
script's tripKey() (run under Node) against rules.trip_number_key, on the same inputs."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from crisisgov.citizen.queries.rules import RuleError, trip_number_key

SCRIPT = Path(__file__).resolve().parents[1] / (
    "crisisgov/citizen/queries/static/citizen_queries/selfcheck.js"
)
TYPED = [
    "G1234", "ｇ１２３４", " g 12 34 ", "G1234次", "ca-1501", "航班CA1501", "公交 18路",
    "１８路", "地铁2号线", "Line 2", "路", "", "!!!", "G1234<script>", "Ｄ７７３１．",
]  # fmt: skip


def test_the_browser_and_the_server_fold_trip_numbers_alike():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    source = SCRIPT.read_text()
    # The pure helpers, from `function fold` to the end of `function tripKey`.
    helpers = re.search(r"  function fold\(.*?\n  function tripKey.*?\n  }\n", source, re.S)
    assert helpers, "selfcheck.js lost fold() or tripKey()"
    program = helpers.group(0) + f"console.log(JSON.stringify({json.dumps(TYPED)}.map(tripKey)));"
    browser = json.loads(subprocess.run([node, "-e", program], capture_output=True,
                                        text=True, check=True, timeout=30).stdout)  # fmt: skip

    def server(typed: str) -> str | None:
        try:
            return trip_number_key(typed)
        except RuleError:
            return None

    assert browser == [server(t) for t in TYPED]
