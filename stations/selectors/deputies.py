"""What a deputy's own page shows: coming duties, unavailable dates, swap requests, the opinions raised at the
receptions they held, and their private calendar address."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from stations.clock import local_today
from stations.models import (
    CalendarFeed,
    Deputy,
    Duty,
    Opinion,
    SwapRequest,
    SwapStatus,
    Unavailability,
)

OPINIONS_SHOWN = 50


def coming_duties(deputy: Deputy) -> list[Duty]:
    """The deputy's duties on published rosters that have not ended, with any pending swap request."""
    pending = SwapRequest.objects.filter(status=SwapStatus.PENDING).select_related("other_duty__deputy")
    return list(
        Duty.objects.filter(
            deputy=deputy,
            shift__roster__published_at__isnull=False,
            shift__cancelled=False,
            shift__end__gte=timezone.now(),
        )
        .select_related("shift__roster__site")
        .prefetch_related(Prefetch("swap_requests", queryset=pending, to_attr="pending_swaps"))
        .order_by("shift__start", "pk")
    )


def coming_unavailable_dates(deputy: Deputy) -> QuerySet[Unavailability]:
    return Unavailability.objects.filter(deputy=deputy, date__gte=local_today()).order_by("date")


def swap_requests_of(deputy: Deputy, limit: int = 20) -> list[SwapRequest]:
    return list(
        SwapRequest.objects.filter(deputy=deputy)
        .select_related("duty__shift__roster__site", "other_duty__shift__roster__site", "other_duty__deputy")
        .order_by("-created_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class ReceptionOpinions:
    opinions: list[Opinion]
    total: int


def reception_opinions(deputy: Deputy, limit: int = OPINIONS_SHOWN) -> ReceptionOpinions:
    """Opinions raised at visits the deputy received (archived visits left out), newest first. Only what a
    deputy may read: content, category, state, reply; the voter's name, phone and e-mail never leave the
    station (the template masks numbers inside the text too)."""
    opinions = (
        Opinion.objects.filter(visit__visit_deputies__deputy=deputy, visit__archived_at__isnull=True)
        .select_related("site", "handling_body")
        .only(
            "pk",
            "reference",
            "site__name",
            "category",
            "content",
            "state",
            "registered_at",
            "deadline",
            "reply",
            "handling_body__name",
            "supervised",
        )
        .order_by("-registered_at", "-pk")
        .distinct()
    )
    return ReceptionOpinions(opinions=list(opinions[:limit]), total=opinions.count())


def active_feed(deputy: Deputy) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(deputy=deputy, revoked_at__isnull=True).first()


def pending_swap_requests(requests: QuerySet[SwapRequest]) -> QuerySet[SwapRequest]:
    """The head's queue: pending first, earliest duty first; then the latest decisions."""
    return requests.select_related(
        "deputy",
        "duty__shift__roster__site",
        "other_duty__shift__roster__site",
        "other_duty__deputy",
        "decided_by",
    ).order_by("duty__shift__start", "pk")
