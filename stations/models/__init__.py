"""The domain's models, one module per part of the domain."""

from stations.models.accounts import Membership, Role
from stations.models.audit import AuditAction, AuditEntry
from stations.models.deputies import CalendarFeed, SwapRequest, SwapStatus
from stations.models.opinions import (
    DEFAULT_DEADLINE_DAYS,
    ENTERED_SEPARATELY_AFTER,
    HandlingBody,
    Opinion,
    OpinionAction,
    OpinionEvent,
    Satisfaction,
    Source,
    State,
)
from stations.models.reminders import ReminderKind, SentReminder
from stations.models.rosters import (
    AbsenceReason,
    Attendance,
    Duty,
    DutyShift,
    ReceptionRule,
    Roster,
    RuleKind,
    Unavailability,
    Weekday,
)
from stations.models.sites import (
    Area,
    AreaKind,
    Assignment,
    Deputy,
    District,
    Gender,
    Level,
    Mandate,
    Sector,
    Site,
    SiteKind,
)
from stations.models.throttle import ThrottleHit
from stations.models.visits import Category, Channel, Visit, VisitDeputy

__all__ = [
    "DEFAULT_DEADLINE_DAYS",
    "ENTERED_SEPARATELY_AFTER",
    "AbsenceReason",
    "AuditAction",
    "AuditEntry",
    "Area",
    "AreaKind",
    "Assignment",
    "Attendance",
    "CalendarFeed",
    "Category",
    "Channel",
    "Deputy",
    "District",
    "Duty",
    "DutyShift",
    "Gender",
    "HandlingBody",
    "Level",
    "Mandate",
    "Membership",
    "Opinion",
    "OpinionAction",
    "OpinionEvent",
    "ReceptionRule",
    "ReminderKind",
    "Role",
    "Roster",
    "RuleKind",
    "Satisfaction",
    "SentReminder",
    "Sector",
    "Site",
    "SiteKind",
    "ThrottleHit",
    "Source",
    "State",
    "SwapRequest",
    "SwapStatus",
    "Unavailability",
    "Visit",
    "VisitDeputy",
    "Weekday",
]
