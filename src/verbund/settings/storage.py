"""Where Verbund keeps files: one setting, `VERBUND_STORAGE`, for every kind of file.

Empty (the embedded default): the file system below the state directory, one folder per
kind. `s3://BUCKET[/PREFIX][?endpoint_url=…&region_name=…]`: S3-compatible object storage
through django-storages, one prefix per kind. Credentials come from the usual AWS variables
(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the machine's role, never from the URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

# The kinds of files, each with a folder or prefix of its own: attachments (and sealed
# Bescheide and Postfach files), received e-invoices, open-data distributions.
KINDS = ("attachments", "einvoices", "datasets")
S3_OPTIONS = {"endpoint_url", "region_name", "addressing_style", "signature_version"}


def storage_for(url: str, kind: str, state_dir: Path) -> dict[str, Any]:
    """The STORAGES entry of one kind of file for the configured storage URL."""
    if not url or url.startswith("file:"):
        base = Path(urlparse(url).path) if url.startswith("file:") else state_dir
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(base / kind)},
        }
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError(f"VERBUND_STORAGE={url!r}: expected s3://BUCKET[/PREFIX] or empty")
    query = dict(parse_qsl(parsed.query))
    unknown = set(query) - S3_OPTIONS
    if unknown:
        raise ValueError(f"VERBUND_STORAGE: unknown options {', '.join(sorted(unknown))}")
    prefix = parsed.path.strip("/")
    options: dict[str, Any] = {
        "bucket_name": parsed.netloc,
        "location": f"{prefix}/{kind}" if prefix else kind,
        # Same names as on the file system: a name in use gets a new one, never overwritten.
        "file_overwrite": False,
        "default_acl": None,
        "querystring_auth": True,
        "signature_version": query.get("signature_version", "s3v4"),
    }
    if "endpoint_url" in query:
        options["endpoint_url"] = query["endpoint_url"]
        # Self-hosted S3 (MinIO, Ceph, moto) answers under one host name: path-style URLs.
        options["addressing_style"] = query.get("addressing_style", "path")
    elif "addressing_style" in query:
        options["addressing_style"] = query["addressing_style"]
    if "region_name" in query:
        options["region_name"] = query["region_name"]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
