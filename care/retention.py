"""Retention of key residents' personal data (PIPL 个人信息保护法), beside the orders'
(dispatch.retention, which runs this too: one daily job, one ``manage.py anonymise``).

A resident taken off the roll more than ``HOTLINE_CARE_RETENTION_DAYS`` ago, or whose
phone a person names when asking for their data to be erased (删除权), is anonymised:

- name, phone, address and the record's notes are emptied, and so are the notes of every
  visit (free text about health, family and money: nothing in it is kept);
- kind, grid, the schedule, and each visit's due day, time, worker and outcome stay, so
  the visits done and the overdue figures read the same before and after;
- an ``anonymise`` ResidentAccess row (no actor: the system; ``reason`` retention or
  request) is the audit and also how a later run knows the record is done
  (``anonymised_at``).

Only residents off the roll are anonymised: one still on it is being visited and needs
their address. A request naming someone on the roll is reported back (``on_roll``) so the
operator can take them off it first, as an open order is for callers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from care.models import Access, KeyResident, ResidentAccess, Visit

logger = logging.getLogger(__name__)


@dataclass
class CareRetentionRun:
    dry_run: bool
    residents: list[int] = field(default_factory=list)  # ids anonymised (or that would be)
    on_roll: list[int] = field(default_factory=list)  # on request: still on the roll, left alone
    visits: int = 0  # visit notes emptied


def residents_due_for_retention(*, now: datetime, days: int) -> QuerySet[KeyResident]:
    """Residents off the roll for more than ``days`` and not yet anonymised."""
    return KeyResident.objects.filter(
        active=False, anonymised_at__isnull=True, inactive_since__lt=now - timedelta(days=days)
    ).order_by("inactive_since", "pk")


def _digits(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit())


def _anonymise_one(resident: KeyResident, *, reason: str, now: datetime, run: CareRetentionRun) -> None:
    visits = Visit.objects.filter(resident=resident).exclude(notes="")
    run.residents.append(resident.pk)
    run.visits += visits.count()
    if run.dry_run:
        return
    visits.update(notes="")
    resident.name = resident.phone = resident.address = resident.notes = ""
    resident.anonymised_at = now
    resident.save(update_fields=["name", "phone", "address", "notes", "anonymised_at"])
    ResidentAccess.objects.create(
        resident=resident, actor=None, unit=None, action=Access.ANONYMISE, reason=reason, at=now
    )


def _run(ids: list[int], *, reason: str, now: datetime, run: CareRetentionRun) -> None:
    # One short transaction per resident, the record locked and checked again: two runs
    # at once (two beats) anonymise and log each resident once.
    for pk in ids:
        with transaction.atomic():
            resident = (
                KeyResident.objects.select_for_update().filter(pk=pk, active=False, anonymised_at__isnull=True).first()
            )
            if resident is None:  # done by a concurrent run, or back on the roll meanwhile
                continue
            _anonymise_one(resident, reason=reason, now=now, run=run)


def care_anonymise_expired(
    *, days: int | None = None, now: datetime | None = None, dry_run: bool = False, limit: int | None = None
) -> CareRetentionRun:
    """Anonymise residents off the roll for more than ``days`` (HOTLINE_CARE_RETENTION_DAYS)."""
    now = now or timezone.now()
    days = settings.HOTLINE_CARE_RETENTION_DAYS if days is None else days
    ids = list(residents_due_for_retention(now=now, days=days).values_list("pk", flat=True)[:limit])
    run = CareRetentionRun(dry_run=dry_run)
    _run(ids, reason="retention", now=now, run=run)
    if run.residents and not dry_run:
        logger.info("Retention: anonymised %s key residents off the roll more than %s days", len(run.residents), days)
    return run


def care_anonymise_person(*, phone: str, now: datetime | None = None, dry_run: bool = False) -> CareRetentionRun:
    """A person's request (删除权): anonymise every record off the roll with this phone
    (written with or without dashes and spaces); those still on the roll are listed in
    ``on_roll`` and left alone."""
    digits = _digits(phone)
    if not digits:
        raise ValueError("phone must contain digits")
    now = now or timezone.now()
    run = CareRetentionRun(dry_run=dry_run)
    # The phone is stored as entered; the last four digits narrow it down in the database.
    candidates = KeyResident.objects.filter(anonymised_at__isnull=True, phone__contains=digits[-4:]).order_by("pk")
    ids = []
    for pk, stored, active in candidates.values_list("pk", "phone", "active"):
        if _digits(stored) != digits:
            continue
        (run.on_roll if active else ids).append(pk)
    _run(ids, reason="request", now=now, run=run)
    return run
