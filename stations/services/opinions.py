"""Opinions: registration (shared by the record book and the online station) and handling."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from stations.models import District, Opinion, OpinionEvent, Site, Source, State
from stations.validators import normalise_phone

# Easy to read aloud and to type from a phone call: no 0/O, 1/I/L, no lower case.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 15  # 15 × log2(31) ≈ 74 random bits


def new_tracking_code() -> str:
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, TRACKING_LENGTH, 5))


def normalise_tracking_code(value: str) -> str:
    """Accept what a voter types: lower case, spaces, missing hyphens, O for 0 and so on."""
    raw = "".join(ch for ch in (value or "").upper() if ch.isalnum())
    raw = raw.replace("O", "0").replace("I", "1").replace("L", "1")
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def _next_reference(district: District, year: int) -> str:
    # The district row is locked for the rest of the transaction, so two registrations never draw the
    # same number (on SQLite the IMMEDIATE transaction already serialises writers).
    District.objects.select_for_update().filter(pk=district.pk).first()
    prefix = f"{district.code}-{year}-"
    last = (
        Opinion.objects.filter(reference__startswith=prefix).order_by("-reference").values_list("reference", flat=True)
    ).first()
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


@transaction.atomic
def opinion_register(
    *,
    site: Site,
    category: str,
    content: str,
    source: str = Source.RECEPTION,
    visit=None,
    submitter_name: str = "",
    submitter_phone: str = "",
    submitter_email: str = "",
    consent: bool = False,
    actor=None,
) -> Opinion:
    """Register a new opinion with its staff reference, public tracking code and first timeline entry."""
    now = timezone.now()
    opinion = Opinion(
        reference=_next_reference(site.district, timezone.localtime(now).year),
        tracking_code=new_tracking_code(),
        site=site,
        visit=visit,
        source=source,
        category=category,
        content=content.strip(),
        submitter_name=submitter_name.strip(),
        submitter_phone=normalise_phone(submitter_phone),
        submitter_email=submitter_email.strip(),
        consent_at=now if consent else None,
        state=State.REGISTERED,
        registered_at=now,
    )
    opinion.full_clean()
    opinion.save()
    OpinionEvent.objects.create(opinion=opinion, from_state="", to_state=State.REGISTERED, actor=actor, at=now)
    return opinion
