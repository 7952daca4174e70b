"""Retail Copilot offline latency benchmark (issue 6): the question set, several rounds.

    .venv/bin/python bench/copilot_latency_bench.py --scale medium --rounds 5

Runs the question set of ``tests/copilot_questions.py`` (41 questions in 10 families, some
of them two-turn conversations) through ``RetailCopilot(lake, state, OfflineLlm()).ask``
on the prepared demo home (``common.prepare_home``), in one child process. Every
``ask`` call is timed on its own (a follow-up turn is one more sample of its family);
each round starts new conversations. Answers are also checked against the independently
computed expectations, so a fast wrong answer is visible. Target: p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))  # tests.copilot_questions

from common import (  # noqa: E402
    home_settings,
    machine_line,
    peak_rss_mb,
    percentile,
    prepare_home,
    run_child,
)

TARGET_P95_MS = 300.0


def child(home: Path, rounds: int) -> None:
    from tests.copilot_questions import Truth, build_questions

    from shopsight.lake.sql import connect
    from shopsight.lake.store import Lake
    from shopsight.llm import OfflineLlm
    from shopsight.state.store import State
    from shopsight.systems.retail_copilot import RetailCopilot

    settings = home_settings(home)
    lake = Lake(settings.lake_root, settings.lake_storage_options)
    state = State(settings.state_database_url)
    con = connect(lake)
    try:
        questions = build_questions(Truth(con))
    finally:
        con.close()
    copilot = RetailCopilot(lake, state, OfflineLlm())
    samples: list[dict[str, Any]] = []
    correct = [0] * rounds
    for rnd in range(rounds):
        for q in questions:
            conversation = None
            answer: Any = None
            try:
                for turn in q.turns:
                    started = time.perf_counter()
                    answer = copilot.ask("bench", turn, conversation, page_size=500)
                    samples.append({"round": rnd, "family": q.family, "question": turn,
                                    "ms": (time.perf_counter() - started) * 1000})
                    conversation = answer.conversation_id
                correct[rnd] += bool(q.check(answer))
            except Exception as exc:  # a crash counts as a wrong answer, recorded
                samples.append({"round": rnd, "family": q.family, "question": q.turns[-1],
                                "ms": (time.perf_counter() - started) * 1000,
                                "error": repr(exc)[:200]})
    print(json.dumps({"questions": len(questions), "rounds": rounds, "correct": correct,
                      "samples": samples, "peak_mb": round(peak_rss_mb())}))


def stats(values: list[float]) -> str:
    return (f"{len(values)} | {statistics.median(values):.0f} | {percentile(values, 95):.0f} | "
            f"{max(values):.0f}")


def report(scale: str, r: dict[str, Any]) -> str:
    samples = r["samples"]
    families = sorted({s["family"] for s in samples})
    out = ["| family | asks | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for family in families:
        out.append(f"| {family} | {stats([s['ms'] for s in samples if s['family'] == family])} |")
    overall = [s["ms"] for s in samples]
    out.append("| **overall** | " + " | ".join(f"**{cell}**" for cell in stats(overall)
                                               .split(" | ")) + " |")
    warm = [s["ms"] for s in samples if s["round"] > 0]
    cold = [s["ms"] for s in samples if s["round"] == 0]
    p95 = percentile(overall, 95)
    slowest = sorted(samples, key=lambda s: -s["ms"])[:5]
    errors = [s for s in samples if "error" in s]
    out += ["", f"{scale}: {r['questions']} questions × {r['rounds']} rounds = {len(samples)} "
            f"ask calls. Round 1 (cold) p50/p95 {statistics.median(cold):.0f}/"
            f"{percentile(cold, 95):.0f} ms; later rounds p50/p95 "
            f"{statistics.median(warm or cold):.0f}/{percentile(warm or cold, 95):.0f} ms. "
            f"Correct answers per round: {', '.join(map(str, r['correct']))} of "
            f"{r['questions']}. Errors: {len(errors)}. Peak RSS {r['peak_mb']:,} MB.",
            "", f"Target p95 < {TARGET_P95_MS:.0f} ms: "
            f"**{'met' if p95 < TARGET_P95_MS else 'not met'}** (overall p95 {p95:.0f} ms).",
            "", "Slowest calls: " + "; ".join(
                f"{s['question']!r} ({s['family']}, round {s['round'] + 1}) {s['ms']:.0f} ms"
                for s in slowest) + "."]
    for e in errors[:5]:
        out.append(f"\nError: {e['question']!r}: {e['error']}")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child), args.rounds)
        return
    home = prepare_home(args.scale, args.seed)
    result = run_child([__file__, "--child", str(home), "--rounds", str(args.rounds)])
    (BENCH / "out" / f"copilot-{args.scale}.json").write_text(json.dumps(result))
    print(f"\n{machine_line()}\n")
    print(report(args.scale, result))


if __name__ == "__main__":
    main()
