"""Record linkage: pairs per second, precision, recall, review queue and peak memory of
`crisisgov.exchange.linkage.link` on about 90,000 records (three datasets of a 40,000-person
city, generated with known truth by crisisgov/exchange/tests/linkage_data.py).

Baseline, in the same run: exact-only linkage on the ID-number blind index, which is what the
platform would do without the probabilistic stage; its recall shows what that stage adds.
If splink is installed (it is not a dependency), a third leg runs splink 5 on DuckDB with the
same blocking rules and comparison levels — the evaluation behind the choice of our own EM.

Each leg runs in its own child process, so each has its own peak RSS; the data generation is
timed apart and is in every child's RSS alike. Pairs per second counts the record pairs each
leg compared (for the platform: the blocked candidate pairs, including those whose two ID
numbers are known and serve as EM labels).

argv: `people=N` (default 40000), `seed=N` (default 1), `legs=exact,platform,splink`.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

UPPER, LOWER = 0.95, 0.6


def _score(
    clusters: list[list[str]], review: list[tuple[str, str]], truth: set[tuple[str, str]]
) -> dict[str, Any]:
    found = {p for c in clusters for p in itertools.combinations(sorted(c), 2)}
    right = len(found & truth)
    queued = {(min(a, b), max(a, b)) for a, b in review}
    return {
        "precision": right / len(found) if found else 1.0,
        "recall": right / len(truth),
        "recall_with_review": len((found | queued) & truth) / len(truth),
        "review": len(queued - found),
        "review_true": len((queued - found) & truth),
    }


def _exact_only(records: list[Any]) -> tuple[list[list[str]], list[tuple[str, str]], int]:
    by_id: dict[str, list[str]] = collections.defaultdict(list)
    singles = []
    for r in records:
        (by_id[r.id_index].append(r.key) if r.id_index else singles.append([r.key]))
    clusters = list(by_id.values()) + singles
    return clusters, [], sum(len(c) * (len(c) - 1) // 2 for c in clusters)


def _platform(records: list[Any]) -> tuple[list[list[str]], list[tuple[str, str]], int]:
    from crisisgov.exchange.linkage import link

    result = link(records, upper=UPPER, lower=LOWER)
    compared = result.stats["candidate_pairs"] + result.stats["labelled_pairs"]
    return result.clusters, [(p.left, p.right) for p in result.review], compared


def _splink(records: list[Any]) -> tuple[list[list[str]], list[tuple[str, str]], int]:
    """splink 5 on DuckDB: the platform's features computed in Python (pinyin cannot be had
    in SQL), its levels as SQL, u by random sampling, m by EM on two blocking rules, the same
    thresholds and the same clustering guard."""
    import logging

    import numpy as np
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator

    from crisisgov.exchange.linkage import _Clusters, address_features, name_features

    ordered = sorted(records, key=lambda r: r.key)
    columns: dict[str, list[Any]] = collections.defaultdict(list)
    for r in ordered:
        n, a, d = name_features(r.name), address_features(r.address), r.date_of_birth
        row = {
            "unique_id": r.key,
            "id_index": r.id_index,
            "name_text": n and n.text,
            "name_spoken": n and n.spoken,
            "name_key": n and n.parts_key,
            "name_han": n.han if n else None,
            "surname": n and n.surname,
            "dob": d and f"{d:%Y%m%d}",
            "dob_key": d and f"{d.year}{min(d.month, d.day):02d}{max(d.month, d.day):02d}",
            "year": d and d.year,
            "day": d and f"{min(d.month, d.day):02d}{max(d.month, d.day):02d}",
            "phone": r.phone_index,
            "area": r.area_code,
            "addr_exact": a and f"{a.numbers}|{sorted(a.bigrams)}",
            "addr_tail": a
            and (" ".join(map(str, a.numbers[-3:])) if len(a.numbers) >= 2 else None),
            "addr_bigrams": a and sorted(a.bigrams),
        }
        for key, value in row.items():
            columns[key].append(value)
    overlap = (
        "len(list_intersect(addr_bigrams_l, addr_bigrams_r))"
        " / least(len(addr_bigrams_l), len(addr_bigrams_r))"
    )
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_text"),
            cll.ExactMatchLevel("name_text", term_frequency_adjustments=True),
            cll.CustomLevel("name_spoken_l = name_spoken_r", "same reading"),
            cll.CustomLevel("name_key_l = name_key_r", "swapped"),
            cll.CustomLevel(
                "(name_han_l and name_han_r and damerau_levenshtein(name_text_l, name_text_r) <= 1"
                " and greatest(length(name_text_l), length(name_text_r)) >= 3)"
                " or (not (name_han_l and name_han_r)"
                " and jaro_winkler_similarity(name_key_l, name_key_r) >= 0.92)",
                "one character",
            ),
            cll.CustomLevel("surname_l = surname_r", "same surname"),
            cll.ElseLevel(),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel(
                "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) and substr(dob_l, 5, 2) ="
                " substr(dob_r, 7, 2) and substr(dob_l, 7, 2) = substr(dob_r, 5, 2)",
                "day-month swapped",
            ),
            cll.CustomLevel("hamming(dob_l, dob_r) = 1", "one digit"),
            cll.CustomLevel("year_l = year_r", "same year"),
            cll.ElseLevel(),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.CustomLevel(
                "(addr_exact_l is null or addr_exact_r is null)"
                " and (area_l is null or area_r is null)"
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("addr_exact"),
            cll.CustomLevel(f"addr_tail_l = addr_tail_r and {overlap} >= 0.5", "same flat"),
            cll.CustomLevel(f"{overlap} >= 0.5", "same street"),
            cll.CustomLevel("addr_tail_l = addr_tail_r", "same flat number"),
            cll.CustomLevel("area_l = area_r", "same area"),
            cll.ElseLevel(),
        ],
    )
    blocks = ("dob_key", "phone", "name_key area", "name_key year", "name_key day",
              "surname area year")  # fmt: skip
    not_both = " and (l.id_index is null or r.id_index is null)"
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[name, dob, cl.ExactMatch("phone"), address],
        blocking_rules_to_generate_predictions=[
            " and ".join(f"l.{c} = r.{c}" for c in rule.split()) + not_both for rule in blocks
        ],
        retain_matching_columns=False,
        max_iterations=100,
    )
    linker = Linker(DuckDBAPI().register(dict(columns)), settings, log_level=logging.ERROR)
    with_id = sum(v is not None for v in columns["id_index"]) / len(ordered)
    linker.training.estimate_probability_two_random_records_match(
        ["l.id_index = r.id_index"], recall=with_id**2
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=0)
    linker.training.estimate_parameters_using_expectation_maximisation("l.dob_key = r.dob_key")
    linker.training.estimate_parameters_using_expectation_maximisation("l.name_key = r.name_key")
    # Scored without a threshold so that the pair count is every blocked pair it compared.
    every = linker.inference.predict().as_record_list()
    scored = [p for p in every if p["match_probability"] >= LOWER]
    position = {key: i for i, key in enumerate(columns["unique_id"])}
    codes: dict[str, int] = {}
    ids = np.asarray(
        [-1 if v is None else codes.setdefault(v, len(codes)) for v in columns["id_index"]],
        dtype=np.int64,
    )
    clusters = _Clusters(ids)
    by_id: dict[int, list[int]] = collections.defaultdict(list)
    for i, code in enumerate(int(x) for x in ids):
        if code >= 0:
            by_id[code].append(i)
    for members in by_id.values():
        for i in members[1:]:
            clusters.union(members[0], i)
    review = []
    scored.sort(key=lambda p: (-p["match_probability"], p["unique_id_l"], p["unique_id_r"]))
    for p in scored:
        a, b = p["unique_id_l"], p["unique_id_r"]
        if p["match_probability"] < UPPER or not clusters.union(position[a], position[b]):
            review.append((a, b))
    out: dict[int, list[str]] = collections.defaultdict(list)
    for key, i in position.items():
        out[clusters.find(i)].append(key)
    return list(out.values()), review, len(every)


LEGS = {
    "exact": ("baseline: exact-only on the ID blind index", _exact_only),
    "platform": ("crisisgov linkage (blocking + Fellegi-Sunter EM)", _platform),
    "splink": ("splink 5 / DuckDB, same blocks and levels", _splink),
}


def _leg(name: str, people: int, seed: int) -> None:
    """Run one leg in this process and print its measurements as one JSON line."""
    import resource

    from crisisgov.exchange.tests.linkage_data import make_linkage_set

    started = time.perf_counter()
    population = make_linkage_set(people=people, seed=seed)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    clusters, review, compared = LEGS[name][1](population.records)
    seconds = time.perf_counter() - started
    result = _score(clusters, review, population.true_pairs())
    result |= {
        "records": len(population.records),
        "true_pairs": len(population.true_pairs()),
        "compared": compared,
        "seconds": seconds,
        "generated_seconds": generated,
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print("RESULT " + json.dumps(result))


def main(argv: list[str]) -> None:
    options = dict(arg.split("=", 1) for arg in argv if "=" in arg)
    people, seed = int(options.get("people", "40000")), int(options.get("seed", "1"))
    if "leg" in options:
        _leg(options["leg"], people, seed)
        return
    wanted = options.get("legs", "exact,platform,splink").split(",")
    if "splink" in wanted:
        try:
            import splink  # noqa: F401
        except ImportError:
            print("  splink leg skipped: splink is not installed (pip install 'splink>=5,<6')")
            wanted.remove("splink")
    root = Path(__file__).resolve().parents[1]
    results = {}
    for leg in wanted:
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_linkage", f"leg={leg}",
             f"people={people}", f"seed={seed}"],
            cwd=root, env={**os.environ}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        line = next((x for x in child.stdout.splitlines() if x.startswith("RESULT ")), None)
        if child.returncode or line is None:
            raise SystemExit(
                f"leg {leg} failed ({child.returncode}):\n{child.stdout}{child.stderr}"
            )
        results[leg] = json.loads(line.removeprefix("RESULT "))
    first = next(iter(results.values()))
    print(
        f"record linkage: {first['records']:,} records of {people:,} people in 3 datasets,"
        f" {first['true_pairs']:,} true pairs; seed {seed}; generated in"
        f" {first['generated_seconds']:.1f}s; thresholds {LOWER}/{UPPER}"
    )
    for leg, r in results.items():
        print(
            f"  {LEGS[leg][0]:<50} {r['compared'] / r['seconds']:>9,.0f} pairs/s"
            f" {r['records'] / r['seconds']:>8,.0f} records/s {r['seconds']:>6.1f}s"
            f"  precision {r['precision']:.4f}  recall {r['recall']:.4f}"
            f" (with review {r['recall_with_review']:.4f})"
            f"  review {r['review']:>5,} ({r['review_true']:,} true)"
            f"  peak RSS {r['peak_rss_mb']:>5.0f} MB"
        )
    if "exact" in results and "platform" in results:
        base, ours = results["exact"], results["platform"]
        print(
            f"  probabilistic stage adds {ours['recall'] - base['recall']:+.4f} recall"
            f" ({base['recall']:.4f} -> {ours['recall']:.4f}) at precision"
            f" {ours['precision']:.4f} vs {base['precision']:.4f};"
            f" peak RSS {ours['peak_rss_mb'] / base['peak_rss_mb']:.1f}x the baseline's"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
