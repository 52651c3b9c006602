"""Bulk validation in worker processes (`ingest-einvoice-mail`, benchmarks).

SaxonC serialises its calls in one process (one processor, one lock, the GIL), so
throughput scales with processes, not threads. Each worker sets Django up, compiles the
rules once (`ruleset()`, from the on-disk cache when configured) and then validates the
documents it is sent; the results come back in the order of the documents. Workers are
spawned, not forked: a forked copy of a running SaxonC (GraalVM isolate) is not safe.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Any

from django.conf import settings

from verbund.einvoices.validation.report import Report, Unexaminable

# The settings a worker needs to validate as the parent does (tests override them).
_SETTINGS = (
    "VERBUND_DATA_DIR",
    "VERBUND_EINVOICE_RULES",
    "VERBUND_EINVOICE_CACHE_DIR",
    "VERBUND_EINVOICE_MAX_BYTES",
    "VERBUND_EINVOICE_MAX_DEPTH",
)

Outcome = Report | Unexaminable

# Documents sent to a worker at a time: fewer round trips through the pipes, while a
# bulk of a few dozen still spreads over every worker.
CHUNK = 4
# A report whose examined XML is the document sent (every XML invoice) comes back without
# it, marked so: the parent puts its own copy in (half the bytes through the pipes).
SENT_XML = "sent-xml"


def _start_worker(settings_module: str, values: dict[str, Any]) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    from django.conf import settings as worker_settings

    for name, value in values.items():
        setattr(worker_settings, name, value)
    from verbund.einvoices.validation import ruleset

    ruleset.ruleset().prepare()  # compile now, not on the first documents


def _validate(data: bytes) -> tuple[str, Any, str]:
    from verbund.einvoices.validation import validate

    try:
        report = validate(data)
    except Unexaminable as exc:  # rebuilt in the parent (keyword-only code)
        return "refused", str(exc.message), str(exc.code)
    if report.xml == data:
        # the parent holds the document: it goes back without its copy
        return "report", dataclasses.replace(report, xml=b""), SENT_XML
    return "report", report, ""


class ValidationPool:
    """`processes` worker processes that validate documents; use as a context manager."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError("at least one process")
        self.processes = processes
        values = {name: getattr(settings, name, None) for name in _SETTINGS}
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.environ.get("DJANGO_SETTINGS_MODULE", "verbund.settings.base"), values),
        )

    def warm_up(self) -> None:
        """Start every worker and let it compile the rules (a few seconds)."""
        list(self._executor.map(_noop, range(self.processes * 2)))

    def validate_many(self, documents: Iterable[bytes]) -> Iterator[Outcome]:
        """The report of each document, or its `Unexaminable` refusal, in order."""
        documents = list(documents)
        results = self._executor.map(_validate, documents, chunksize=CHUNK)
        for data, (kind, value, code) in zip(documents, results, strict=True):
            if kind == "refused":
                yield Unexaminable(value, code=code)
            elif code == SENT_XML:
                yield dataclasses.replace(value, xml=data)
            else:
                yield value

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ValidationPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _noop(_: int) -> None:
    return None
