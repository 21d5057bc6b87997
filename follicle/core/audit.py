"""The audit trail: explicit, append-only, hash-chained.

Code paths call an `Auditor` explicitly (never a signal): one row per request per patient record
touched, one per list or search request, and rows for sign-in, settings and staff changes.
Background jobs and commands audit as the system actor.

Each row's hash is an HMAC (keyed with settings.AUDIT_HMAC_KEY) over its fields and the previous
row's hash. Someone with database access can change rows, but cannot make a changed, inserted,
deleted or reordered row verify without the key. Appends lock the chain head, so concurrent
requests and several workers always extend one chain and never fork it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from follicle.core.models import AuditChainHead, AuditEvent, Clinic

GENESIS = "0" * 64
SYSTEM_ACTOR = "system"


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _key() -> bytes:
    return settings.AUDIT_HMAC_KEY.encode("utf-8")


def row_hash(fields: dict[str, Any]) -> str:
    return hmac.new(_key(), _canonical(fields), hashlib.sha256).hexdigest()


def _hashed_fields(event: AuditEvent) -> dict[str, Any]:
    """The fields a row's hash covers, in a form that reads back identically from any database."""
    created = event.created_at.astimezone(UTC) if event.created_at else None
    return {
        "seq": event.seq,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if created else None,
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "role": event.role,
        "clinic_id": event.clinic_id,
        "patient_uuid": str(event.patient_uuid) if event.patient_uuid else None,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "detail": event.detail,
        "ip": event.ip,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }


def _head_signature(seq: int, head_hash: str) -> str:
    return hmac.new(_key(), f"head:{seq}:{head_hash}".encode(), hashlib.sha256).hexdigest()


def _locked_head() -> AuditChainHead:
    """The chain head, locked for this transaction (created once if a migration did not)."""
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                AuditChainHead.objects.create(pk=1)
        except IntegrityError:
            pass  # another writer created it first
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def append(
    *,
    action: str,
    actor=None,
    actor_label: str = "",
    role: str = "",
    clinic: Clinic | None = None,
    patient_uuid: uuid.UUID | str | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    request_id: str = "",
) -> AuditEvent:
    """Append one row to the chain. Joins the caller's transaction when there is one."""
    with transaction.atomic():
        head = _locked_head()
        event = AuditEvent(
            seq=head.seq + 1,
            # Microsecond precision survives every backend, so the hash recomputes exactly.
            created_at=timezone.now(),
            actor=actor if actor is not None and getattr(actor, "pk", None) else None,
            actor_label=actor_label
            or (actor.get_username() if actor is not None and actor.pk else SYSTEM_ACTOR),
            role=role or "",
            clinic=clinic,
            patient_uuid=uuid.UUID(str(patient_uuid)) if patient_uuid else None,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id else "",
            detail=json.loads(_canonical(detail or {})),
            ip=ip or None,
            request_id=request_id or "",
            prev_hash=head.hash or GENESIS,
        )
        event.hash = row_hash(_hashed_fields(event))
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.signature = _head_signature(head.seq, head.hash)
        head.save(update_fields=["seq", "hash", "signature"])
    return event


class Auditor:
    """Who is acting, from where: built once per request (or for the system) and called explicitly."""

    def __init__(
        self,
        *,
        actor=None,
        role: str = "",
        clinic: Clinic | None = None,
        ip: str | None = None,
        request_id: str = "",
        actor_label: str = "",
    ):
        self.actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        self.role = role
        self.clinic = clinic
        self.ip = ip
        self.request_id = request_id
        self.actor_label = actor_label

    @classmethod
    def from_request(cls, request: HttpRequest) -> Auditor:
        membership = getattr(request, "membership", None)
        return cls(
            actor=getattr(request, "user", None),
            role=membership.role if membership else "",
            clinic=getattr(request, "clinic", None),
            ip=client_ip(request),
            request_id=getattr(request, "request_id", ""),
        )

    @classmethod
    def system(cls, *, clinic: Clinic | None = None, label: str = SYSTEM_ACTOR) -> Auditor:
        return cls(clinic=clinic, actor_label=label)

    def log(
        self,
        action: str,
        *,
        obj=None,
        object_type: str = "",
        object_id: str = "",
        patient=None,
        clinic: Clinic | None = None,
        detail: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Record one action. `obj` fills object_type/object_id; `patient` may be a model or a UUID."""
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or str(getattr(obj, "uuid", None) or obj.pk)
        patient_uuid = getattr(patient, "uuid", patient)
        return append(
            action=action,
            actor=self.actor,
            actor_label=self.actor_label,
            role=self.role,
            clinic=clinic or self.clinic,
            patient_uuid=patient_uuid,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
            ip=self.ip,
            request_id=self.request_id,
        )

    def log_list(self, action: str, *, query: dict[str, Any], count: int, **kwargs) -> AuditEvent:
        """A list or search request: what was asked and how many results it gave."""
        clean_query = {k: v for k, v in query.items() if v not in (None, "", [])}
        return self.log(action, detail={"query": clean_query, "count": count}, **kwargs)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; X-Forwarded-For is trusted only for FOLLICLE_PROXY_COUNT proxies."""
    proxies = settings.FOLLICLE_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def _iter_rows() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)


def verify_chain(progress=None) -> ChainReport:
    """Walk the chain in order and report the first row that does not verify."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for event in _iter_rows():
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                return ChainReport(
                    False, checked, expected_seq, f"row {expected_seq} is missing (next row is {event.seq})"
                )
            return ChainReport(False, checked, event.seq, f"row {event.seq} is out of sequence")
        if event.prev_hash != expected_prev:
            return ChainReport(
                False,
                checked,
                event.seq,
                f"row {event.seq} does not link to row {event.seq - 1} (inserted or reordered)",
            )
        if not hmac.compare_digest(event.hash, row_hash(_hashed_fields(event))):
            return ChainReport(False, checked, event.seq, f"row {event.seq} was changed after it was written")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
        if progress is not None:
            progress(1)
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else ""
    if (
        head is not None
        and head_seq
        and not hmac.compare_digest(head.signature, _head_signature(head_seq, head_hash))
    ):
        return ChainReport(False, checked, head_seq, "the chain head was changed")
    if head_seq != checked or (checked and head_hash != expected_prev):
        return ChainReport(
            False,
            checked,
            checked + 1 if head_seq > checked else head_seq,
            f"the chain ends at row {checked} but {head_seq} rows were written "
            "(rows deleted from the end, or appended outside Follicle)",
        )
    return ChainReport(True, checked)
