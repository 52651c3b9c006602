"""Benchmark: e-invoices per second through the full `validate()` (safety checks, XSD,
scenario, the fused Schematron pass, findings) against the Java anchor pipeline a Land would
otherwise run (KoSIT-like: Saxon-HE + JAXP on the same compiled rules, see
../shared/anchors/kosit/README.md), on the 65 test-suite invoices, in the same run.

Usage: python bench/einvoice.py [--rules DIR] [--blocks 3] [--rounds 5] [--anchor DIR]
                                [--no-anchor] [--pool 2] [--check-dir DIR ...]

The anchor is run when `java` and Saxon-HE are installed (Debian: default-jdk-headless
libsaxonhe-java; this script installs nothing). Blocks alternate: one anchor run (its own
JVM: compile, warm-up rounds, timed rounds), then the same number of timed `validate()`
rounds, and so on, so both see the same machine load. The first anchor run also writes its
`--verdicts`; every invoice must get the same verdict, scenario and fired rules
(`rule:severity`) from `validate()`, or the script stops. `--check-dir` compares the verdicts
on further directories the same way (e.g. the real invoices among the unit tests).

Then, with `--pool N`, rounds of the bulk path alternate with single-process rounds: the
same invoices (the test suite, four times over) through `validation.pool.ValidationPool(N)`
against one process validating them in turn.

Goals (issue 18): validate() >= 1.0x the anchor's single-thread rate and p95 <= the
anchor's; the pool of 2 processes >= 1.8x one process. The ratios are printed last.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

ANCHOR_CANDIDATES = (
    ROOT.parent / "shared" / "anchors" / "kosit",
    ROOT.parent.parent / "shared" / "anchors" / "kosit",
)
SAXON_JAR = Path(os.environ.get("SAXON_JAR", "/usr/share/java/Saxon-HE.jar"))


def percentile(values: list[float], p: float) -> float:
    """The anchor's definition: the value at rank ceil(p * n)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p * len(ordered)) - 1))]


def find_anchor(given: Path | None) -> Path | None:
    candidates = (
        [given]
        if given
        else [Path(os.environ["KOSIT_ANCHOR"])]
        if ("KOSIT_ANCHOR" in os.environ)
        else list(ANCHOR_CANDIDATES)
    )
    for candidate in candidates:
        if candidate and (candidate / "run.sh").is_file():
            return candidate
    return None


def anchor_missing(anchor: Path | None) -> str | None:
    if anchor is None:
        return "anchor directory not found (../shared/anchors/kosit or --anchor)"
    if not shutil.which("java") or not shutil.which("javac"):
        return "java/javac not installed (Debian: default-jdk-headless)"
    if not SAXON_JAR.exists():
        return f"{SAXON_JAR} missing (Debian: libsaxonhe-java)"
    return None


def run_anchor(
    anchor: Path, rules: Path, invoices: Path, warmup: int, rounds: int, verdicts: Path | None
) -> dict[str, float]:
    command = [
        "sh",
        str(anchor / "run.sh"),
        str(anchor / "xslt"),
        str(rules / "xsd"),
        str(invoices),
        "--warmup",
        str(warmup),
        "--rounds",
        str(rounds),
    ]
    if verdicts is not None:
        command += ["--verdicts", str(verdicts)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"anchor failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    out = done.stdout
    rates = re.search(r"invoices/s best ([\d.]+), median ([\d.]+)", out)
    latency = re.search(r"latency per invoice: p50 ([\d.]+) ms, p95 ([\d.]+) ms", out)
    ready = re.search(r"rules_compiled_at=([\d.]+)", out)
    cpu = re.search(r"per_cpu_s=([\d.]+)", out)
    if not rates or not latency or not ready or not cpu:
        sys.exit(f"cannot read the anchor's output:\n{out}")
    return {
        "best": float(rates.group(1)),
        "median": float(rates.group(2)),
        "p50": float(latency.group(1)),
        "p95": float(latency.group(2)),
        "ready": float(ready.group(1)),
        "cpu": float(cpu.group(1)),  # per process CPU second (all threads: JIT, GC too)
    }


def our_verdict(data: bytes) -> tuple[str, str, list[str]]:
    from verbund.einvoices.validation import Unexaminable, validate

    try:
        report = validate(data)
    except Unexaminable as exc:
        return "unexaminable", "-", [f"{exc.code}"]
    return (
        "valid" if report.valid else "invalid",
        report.scenario or "-",
        sorted(f"{f.rule}:{f.severity}" for f in report.findings),
    )


NO_INVOICE = ("invalid", "-", ["KOSIT-SCENARIO:fatal"])


def compare_verdicts(directory: Path, verdicts: Path) -> tuple[int, int, list[str]]:
    """(invoices, findings, differences) of `validate()` against the anchor's verdicts.

    XML that is no UBL or CII invoice at all (rule-test fragments) is refused by both: the
    anchor finds no scenario, `validate()` refuses it as `unknown_document_type`; such
    files are not counted as invoices."""
    differences = []
    count = findings = 0
    for line in verdicts.read_text(encoding="utf-8").splitlines():
        name, valid, scenario, _n, rules = (line.split("\t") + [""] * 5)[:5]
        theirs = (valid, scenario, sorted(r for r in rules.split(",") if r))
        ours = our_verdict((directory / name).read_bytes())
        if ours == ("unexaminable", "-", ["unknown_document_type"]) and theirs == NO_INVOICE:
            continue
        count += 1
        findings += len(theirs[2])
        if ours != theirs:
            differences.append(f"{name}: anchor {theirs}, validate() {ours}")
    return count, findings, differences


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=Path, default=None)
    parser.add_argument("--blocks", type=int, default=3, help="anchor/validate() alternations")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per block")
    parser.add_argument("--anchor-warmup", type=int, default=10)
    parser.add_argument("--anchor", type=Path, default=None)
    parser.add_argument("--no-anchor", action="store_true")
    parser.add_argument("--pool", type=int, default=2, help="processes of the pool (0: none)")
    parser.add_argument("--pool-rounds", type=int, default=3)
    parser.add_argument("--check-dir", type=Path, action="append", default=[])
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbund.settings.base")
    if args.rules:
        os.environ["VERBUND_EINVOICE_RULES"] = str(args.rules)
    import django

    django.setup()
    from django.conf import settings

    from verbund.einvoices.validation import ruleset as rs
    from verbund.einvoices.validation import validate

    directory = Path(settings.VERBUND_EINVOICE_RULES)
    suite = directory / "testsuite"
    paths = sorted(suite.rglob("*.xml"))
    documents = [p.read_bytes() for p in paths]
    if not documents:
        sys.exit(f"no test suite invoices under {suite}")
    n = len(documents)

    started = time.perf_counter()
    rules = rs.ruleset(directory)
    compile_seconds = time.perf_counter() - started
    rules.prepare()
    prepare_seconds = time.perf_counter() - started
    fused = sum(1 for f in rules.fused.values() if f is not None)
    for data in documents:  # warm-up, and every test-suite invoice must be valid
        assert validate(data).valid
    print(
        f"documents: {n} test-suite invoices; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"validate(): rules ready in {compile_seconds:.2f} s, its {fused} fused passes "
        f"compiled after {prepare_seconds:.2f} s ({len(rules.stylesheets)} Schematron files)"
    )

    anchor = None if args.no_anchor else find_anchor(args.anchor)
    missing = "--no-anchor" if args.no_anchor else anchor_missing(anchor)
    if missing:
        print(f"anchor: not run ({missing})")
    work = Path(tempfile.mkdtemp(prefix="einvoice-bench-"))

    latencies: list[float] = []

    cpu_times: list[float] = []

    def our_round() -> float:
        begin, cpu = time.perf_counter(), time.process_time()
        for data in documents:
            one = time.perf_counter()
            validate(data)
            latencies.append(time.perf_counter() - one)
        cpu_times.append(time.process_time() - cpu)
        return time.perf_counter() - begin

    blocks: list[tuple[dict[str, float] | None, dict[str, float]]] = []
    for block in range(args.blocks):
        theirs = None
        if anchor is not None and not missing:
            verdicts = work / "verdicts.tsv" if block == 0 else None
            theirs = run_anchor(anchor, directory, suite, args.anchor_warmup, args.rounds, verdicts)
            if verdicts is not None:
                count, findings, differences = compare_verdicts(suite, verdicts)
                if differences:
                    sys.exit("verdicts differ:\n" + "\n".join(differences))
                print(
                    f"verdicts: identical on all {count} test-suite invoices ({findings} findings)"
                )
                for extra in args.check_dir:
                    path = work / f"verdicts-{len(blocks)}-{extra.name}.tsv"
                    run_anchor(anchor, directory, extra, 1, 1, path)
                    count, findings, differences = compare_verdicts(extra, path)
                    if differences:
                        sys.exit(f"verdicts differ in {extra}:\n" + "\n".join(differences))
                    print(
                        f"verdicts: identical on all {count} invoices of {extra} "
                        f"({findings} findings)"
                    )
        latencies.clear()
        cpu_times.clear()
        times = [our_round() for _ in range(args.rounds)]
        ours = {
            "best": n / min(times),
            "median": n / statistics.median(times),
            "p50": percentile(latencies, 0.5) * 1000,
            "p95": percentile(latencies, 0.95) * 1000,
            "cpu": n / min(cpu_times),
        }
        blocks.append((theirs, ours))
        line = (
            f"block {block + 1}: validate() {ours['best']:.1f}/s best, "
            f"{ours['median']:.1f}/s median, p50 {ours['p50']:.2f} ms, "
            f"p95 {ours['p95']:.2f} ms, {ours['cpu']:.1f}/CPU s"
        )
        if theirs:
            line += (
                f" | anchor {theirs['best']:.1f}/s best, {theirs['median']:.1f}/s median, "
                f"p50 {theirs['p50']:.2f} ms, p95 {theirs['p95']:.2f} ms, "
                f"{theirs['cpu']:.1f}/CPU s (rules ready {theirs['ready']:.1f} s after JVM start)"
            )
        print(line, flush=True)
    shutil.rmtree(work, ignore_errors=True)

    pool_ratios: list[float] = []
    if args.pool > 1:
        from verbund.einvoices.validation.pool import ValidationPool

        bulk = documents * 4
        with ValidationPool(args.pool) as pool:
            pool.warm_up()
            outcomes = list(pool.validate_many(documents))
            assert all(getattr(o, "valid", False) for o in outcomes)
            for _ in range(args.pool_rounds):
                begin = time.perf_counter()
                for data in bulk:
                    validate(data)
                single = len(bulk) / (time.perf_counter() - begin)
                begin = time.perf_counter()
                list(pool.validate_many(bulk))
                pooled = len(bulk) / (time.perf_counter() - begin)
                pool_ratios.append(pooled / single)
                print(
                    f"bulk ({len(bulk)} invoices): 1 process {single:.1f}/s, pool of "
                    f"{args.pool} {pooled:.1f}/s ({pooled / single:.2f}x)",
                    flush=True,
                )

    def spread(values: list[float]) -> str:
        return (
            f"min {min(values):.2f}x, median {statistics.median(values):.2f}x, "
            f"max {max(values):.2f}x"
        )

    if pool_ratios:
        print(
            f"ratio pool of {args.pool}/1 process: {spread(pool_ratios)} "
            f"(goal >= 1.80x) {'OK' if statistics.median(pool_ratios) >= 1.8 else 'BELOW GOAL'}"
        )
    compared = [(t, o) for t, o in blocks if t]
    if compared:
        rate = [o["best"] / t["best"] for t, o in compared]
        median_rate = [o["median"] / t["median"] for t, o in compared]
        per_cpu = [o["cpu"] / t["cpu"] for t, o in compared]
        print(f"ratio validate()/anchor per CPU second (less load-sensitive): {spread(per_cpu)}")
        p95 = [t["p95"] / o["p95"] for t, o in compared]
        print(f"ratio validate()/anchor, median rounds: {spread(median_rate)}")
        print(f"ratio anchor p95 / validate() p95 (>= 1: ours lower): {spread(p95)}")
        ok = statistics.median(rate) >= 1.0 and statistics.median(p95) >= 1.0
        print(
            f"ratio validate()/anchor, best rounds: {spread(rate)} "
            f"(goal >= 1.00x, p95 <= anchor's) {'OK' if ok else 'BELOW GOAL'}"
        )


if __name__ == "__main__":
    main()
