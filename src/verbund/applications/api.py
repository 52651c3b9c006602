"""The submission API for external form front ends, in the shape of FIT-Connect.

1. `GET /destinations/{id}` and `GET /destinations/{id}/keys/{kid}`: the destination (the
   receiving authority) and its public encryption key (JWK, RSA-OAEP-256).
2. `POST /submissions` announces a submission with its attachment ids (`Idempotency-Key`
   header: the same key returns the first announcement, never a second one).
3. `PUT /submissions/{id}/attachments/{attachmentId}`: each attachment, already JWE.
4. `PUT /submissions/{id}`: encrypted metadata and data; the answer is the receipt.

The platform cannot read what it receives; it checks the JWE headers (algorithms, the
destination's key id), completeness and sizes. Errors are RFC 7807 problem details.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from verbund.applications import actions, extensions, queries
from verbund.applications.models import FormVersion
from verbund.authorities import actions as authority_actions
from verbund.authorities import queries as authority_queries
from verbund.core import memo
from verbund.core.errors import Conflict, InvalidInput, NotFound
from verbund.core.schemas import Problem
from verbund.finder.types import Place

router = Router(tags=["Anträge (FIT-Connect-Form)"])

ACTOR = "api"


def _count(request: HttpRequest) -> None:
    """The per-client rate limit of the public submission API (429 beyond it)."""
    actions.count_api_request(client=request.META.get("REMOTE_ADDR") or "unknown")


class PublicKey(Schema):
    kty: str
    n: str
    e: str
    kid: str
    alg: str
    use: str
    key_ops: list[str]


class DestinationOut(Schema):
    destinationId: str
    name: str
    encryptionKid: str
    status: str
    services: list[str]


class PlaceIn(Schema):
    ags: str | None = None
    plz: str | None = None
    ort: str | None = None


class AnnounceIn(Schema):
    destinationId: str
    serviceIdentifier: str
    place: PlaceIn | None = None
    formVersion: int | None = None
    announcedAttachments: list[uuid.UUID] = []


class AnnounceOut(Schema):
    submissionId: uuid.UUID
    destinationId: str
    encryptionKid: str
    announcedAttachments: list[str]
    status: str


class SubmitIn(Schema):
    encryptedMetadata: str
    encryptedData: str
    dataHash: str = ""


class ReceiptOut(Schema):
    submissionId: uuid.UUID
    vorgangsnummer: str
    status: str
    destinationId: str
    authority: str
    basis: str
    submittedAt: str
    dataHash: str
    ciphertextHash: str
    accessCode: str
    feeTotal: str


def _receipt(receipt: actions.Receipt) -> ReceiptOut:
    submission = receipt.submission
    assert submission.submitted_at is not None and submission.vorgangsnummer
    return ReceiptOut(
        submissionId=submission.pk,
        vorgangsnummer=submission.vorgangsnummer,
        status=submission.status,
        destinationId=submission.authority.slug,
        authority=submission.authority.name,
        basis=submission.basis,
        submittedAt=submission.submitted_at.isoformat(),
        dataHash=submission.data_sha256,
        ciphertextHash=submission.ciphertext_sha256,
        accessCode=receipt.secret,
        feeTotal=str(submission.fee_total),
    )


@router.get(
    "/destinations/{destination_id}",
    response={200: DestinationOut, 404: Problem, 429: Problem},
    summary="Zustellpunkt (empfangende Behörde) mit Schlüssel-ID",
)
def get_destination(request: HttpRequest, destination_id: str) -> DestinationOut:
    _count(request)
    authority = queries.destination(destination_id)
    key = authority_actions.ensure_encryption_key(authority=authority, actor=ACTOR)
    services = [s.slug for s in queries.services_with_forms()]
    return DestinationOut(
        destinationId=authority.slug,
        name=authority.name,
        encryptionKid=key.kid,
        status="active",
        services=services,
    )


@router.get(
    "/destinations/{destination_id}/keys/{kid}",
    response={200: PublicKey, 404: Problem, 429: Problem},
    summary="Öffentlicher Verschlüsselungsschlüssel eines Zustellpunkts (JWK)",
)
def get_destination_key(request: HttpRequest, destination_id: str, kid: str) -> dict[str, Any]:
    _count(request)
    authority = queries.destination(destination_id)
    key = authority_queries.get_encryption_key(kid)
    if key.authority_id != authority.pk:
        raise NotFound("Dieser Schlüssel gehört nicht zu diesem Zustellpunkt.", code="unknown_key")
    jwk: dict[str, Any] = key.public_jwk
    return jwk


def _ensure_offered_online(service: Any, destination: Any) -> None:
    """The rollout gate of the web form ("Online beantragen") holds for the API too: a
    service the Land rolls out is taken only where the responsible authority activated it
    (the cooperation answers through `extensions.register_online_gate`)."""
    with memo.keeping():  # the gate's answer is kept per process here (decision 0034)
        offered = extensions.online_offered(service, destination)
    if not offered:
        raise Conflict(
            f"{destination.name} bietet „{service.name}“ nicht online an; der Antrag wird "
            "dort auf anderem Weg gestellt.",
            code="not_offered_online",
        )


@router.post(
    "/submissions",
    response={
        201: AnnounceOut,
        200: AnnounceOut,
        404: Problem,
        409: Problem,
        413: Problem,
        422: Problem,
        429: Problem,
    },
    summary="Einreichung ankündigen (mit den IDs der Anhänge)",
    description="Der Header `Idempotency-Key` macht Wiederholungen sicher: derselbe Schlüssel "
    "liefert dieselbe Einreichung (200), mit anderem Inhalt 409.",
)
def announce(request: HttpRequest, payload: AnnounceIn) -> Status[AnnounceOut]:
    _count(request)
    try:
        return _announce(request, payload)
    except actions.StaleDestination:
        # The key this process remembered was retired meanwhile: once more, read afresh.
        queries.forget_destination(payload.destinationId)
        return _announce(request, payload)


def _announce(request: HttpRequest, payload: AnnounceIn) -> Status[AnnounceOut]:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 200:
        raise InvalidInput("Der Idempotency-Key ist zu lang (höchstens 200 Zeichen).")
    service, version = queries.api_service_and_version(payload.serviceIdentifier)
    if version is None:
        raise NotFound("Für diese Leistung gibt es kein Online-Formular.", code="no_form")
    if payload.formVersion is not None and payload.formVersion != version.number:
        version = (
            FormVersion.objects.defer("schema")
            .filter(definition_id=version.definition_id, number=payload.formVersion)
            .exclude(status="draft")
            .first()
        )
        if version is None:
            raise NotFound("Diese Formularversion gibt es nicht.", code="unknown_form_version")
    destination, encryption_key = queries.destination_with_key_kept(payload.destinationId)
    place = None
    if payload.place is not None and (payload.place.ags or payload.place.plz):
        place = Place(ags=payload.place.ags, plz=payload.place.plz, ort=payload.place.ort)
    form = queries.form_of(version)
    if place is None and not form.designated_authority:
        raise InvalidInput(
            "Bitte den Ort angeben (place.ags oder place.plz), damit die Zuständigkeit "
            "geprüft werden kann.",
            code="place_missing",
        )
    responsible = queries.responsibility_cached(service=service, form=form, place=place)
    _ensure_offered_online(service, destination)
    submission, created = actions.announce_submission(
        service=service,
        destination=destination,
        responsible=responsible,
        version=version,
        attachment_ids=[str(a) for a in payload.announcedAttachments],
        idempotency_key=key,
        body_hash=actions.request_hash(payload.model_dump(mode="json")),
        place_ags=(payload.place.ags or "") if payload.place else "",
        place_plz=(payload.place.plz or "") if payload.place else "",
        key=encryption_key,
        actor=ACTOR,
    )
    return Status(
        201 if created else 200,
        AnnounceOut(
            submissionId=submission.pk,
            destinationId=submission.authority.slug,
            encryptionKid=submission.key.kid,
            announcedAttachments=submission.announced_attachments,
            status=submission.status,
        ),
    )


@router.put(
    "/submissions/{submission_id}/attachments/{attachment_id}",
    response={204: None, 404: Problem, 409: Problem, 413: Problem, 422: Problem, 429: Problem},
    summary="Anhang hochladen (JWE, kompakte Serialisierung, Content-Type application/jose)",
)
def upload_attachment(
    request: HttpRequest, submission_id: uuid.UUID, attachment_id: uuid.UUID
) -> Status[None]:
    _count(request)
    submission = queries.announced_ref(submission_id)
    try:
        token = request.body.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidInput(
            "Der Anhang muss ein JWE in kompakter Form sein.", code="invalid_jwe"
        ) from None
    actions.store_sender_attachment(
        submission=submission, attachment_id=str(attachment_id), token=token, actor=ACTOR
    )
    return Status(204, None)


@router.put(
    "/submissions/{submission_id}",
    response={
        200: ReceiptOut,
        404: Problem,
        409: Problem,
        413: Problem,
        422: Problem,
        429: Problem,
    },
    summary="Einreichung abschließen: verschlüsselte Metadaten und Daten; Antwort ist der "
    "Eingangsnachweis mit Vorgangsnummer",
)
def submit(
    request: HttpRequest, submission_id: uuid.UUID, payload: SubmitIn
) -> ReceiptOut | dict[str, Any]:
    _count(request)
    if payload.dataHash and (
        len(payload.dataHash) != 64
        or any(c not in "0123456789abcdefABCDEF" for c in payload.dataHash)
    ):
        raise InvalidInput("dataHash muss ein SHA-256 in Hex sein.", code="invalid_hash")
    receipt = actions.submit_announced(
        submission_id=submission_id,
        encrypted_data=payload.encryptedData,
        encrypted_metadata=payload.encryptedMetadata,
        data_sha256=payload.dataHash,
        actor=ACTOR,
        respond=lambda first: _receipt(first).model_dump(mode="json"),
    )
    if receipt.response is not None:
        return receipt.response
    return _receipt(receipt)


@router.get(
    "/submissions/{submission_id}",
    response={200: dict, 404: Problem, 429: Problem},
    summary="Status einer Einreichung (ohne Inhalte)",
)
def submission_status(request: HttpRequest, submission_id: uuid.UUID) -> dict[str, Any]:
    _count(request)
    submission = queries.get_announced_submission(submission_id)
    return {
        "submissionId": str(submission.pk),
        "status": submission.status,
        "vorgangsnummer": submission.vorgangsnummer,
        "announcedAttachments": submission.announced_attachments,
        "uploadedAttachments": [str(a.id) for a in submission.attachments.all()],
    }
