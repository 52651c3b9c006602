"""Benchmark: e-invoices per second through the full `validate()` (safety checks, XSD,
scenario, both Schematron stylesheets, SVRL to findings) against the raw saxonche transform
of the same compiled stylesheets on the same documents, in the same run.

Usage: python bench/einvoice.py [--rules DIR] [--rounds 5]

Goal (issue 6): full validation at ≥ 0.8× the raw transform's throughput. Also prints the
time to compile the rule directory, the per-invoice latency of `validate()`, and a third
loop that adds to the raw transform only the XML Schema stage the issue requires (lxml parse
with the same safe parser, schema check, tree freed): the ratio no validate() can beat
while it checks the schema with lxml.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbund.settings.base")
    if args.rules:
        os.environ["VERBUND_EINVOICE_RULES"] = str(args.rules)
    import django

    django.setup()
    from django.conf import settings

    from verbund.einvoices.validation import ruleset as rs
    from verbund.einvoices.validation import safety, validate

    directory = Path(settings.VERBUND_EINVOICE_RULES)
    documents = [p.read_bytes() for p in sorted((directory / "testsuite").rglob("*.xml"))]
    if not documents:
        sys.exit(f"no test suite invoices under {directory}/testsuite")

    started = time.perf_counter()
    rules = rs.ruleset(directory)
    compile_seconds = time.perf_counter() - started
    sheets = {s.name: s.compile_seconds for s in rules.stylesheets.values()}

    # The raw baseline: parse each document with Saxon and apply the compiled Schematron
    # stylesheets of its scenario (chosen up front, outside the timing).
    plan = []
    schema_plan = []
    for data in documents:
        report = validate(data)
        assert report.valid, report.findings
        scenario = next(s for s in rules.scenarios if s.name == report.scenario)
        plan.append((data.decode("utf-8"), [s.executable for s in rules.stylesheets_for(scenario)]))
        schema_plan.append((data, rules.schemas[scenario.xsd]))

    def raw_round() -> tuple[float, float]:
        t, c = time.perf_counter(), time.process_time()
        for text, executables in plan:
            node = rs.parse_for_saxon(text)
            for executable in executables:
                rs.run(executable, node)
        return time.perf_counter() - t, time.process_time() - c

    def schema_round() -> tuple[float, float]:
        t, c = time.perf_counter(), time.process_time()
        for (text, executables), (data, schema) in zip(plan, schema_plan, strict=True):
            root = safety.parse(data)
            assert schema.validate(root.getroottree())
            del root
            node = rs.parse_for_saxon(text)
            for executable in executables:
                rs.run(executable, node)
        return time.perf_counter() - t, time.process_time() - c

    latencies: list[float] = []

    def full_round() -> tuple[float, float]:
        t, c = time.perf_counter(), time.process_time()
        for data in documents:
            one = time.perf_counter()
            validate(data)
            latencies.append(time.perf_counter() - one)
        return time.perf_counter() - t, time.process_time() - c

    raw_times, full_times, schema_times = [], [], []
    for _ in range(args.rounds):  # interleaved, so all see the same machine load
        raw_times.append(raw_round())
        full_times.append(full_round())
        schema_times.append(schema_round())
    schema_rate = len(documents) / min(w for w, _ in schema_times)
    raw_rate = len(documents) / min(w for w, _ in raw_times)
    full_rate = len(documents) / min(w for w, _ in full_times)
    raw_cpu = len(documents) / min(c for _, c in raw_times)
    full_cpu = len(documents) / min(c for _, c in full_times)
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"documents: {len(documents)} test suite invoices, {args.rounds} rounds (best round)")
    print(
        f"compile rule directory: {compile_seconds:.2f} s (Schematron: "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in sheets.items())
        + ")"
    )
    print(f"raw saxonche transform: {raw_rate:.1f} invoices/s")
    print(f"full validate():        {full_rate:.1f} invoices/s")
    print(
        f"raw + XML Schema stage: {schema_rate:.1f} invoices/s "
        f"(bound for a validate() with the schema check: {schema_rate / raw_rate:.2f}x)"
    )
    print(
        f"validate() latency: median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )
    print(
        f"per CPU second (less sensitive to a busy machine): raw {raw_cpu:.1f}, full {full_cpu:.1f}"
    )
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    ratio = full_rate / raw_rate
    print(f"ratio full/raw (CPU time): {full_cpu / raw_cpu:.2f}x")
    print(f"ratio full/raw: {ratio:.2f}x (goal >= 0.80x) {'OK' if ratio >= 0.8 else 'BELOW GOAL'}")


if __name__ == "__main__":
    main()
