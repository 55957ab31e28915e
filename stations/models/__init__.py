"""The domain's models, one module per part of the domain."""

from stations.models.accounts import Membership, Role
from stations.models.api import ApiKey
from stations.models.audit import AuditAction, AuditEntry
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
    "ApiKey",
    "AuditAction",
    "AuditEntry",
    "Area",
    "AreaKind",
    "Assignment",
    "Attendance",
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
    "Role",
    "Roster",
    "RuleKind",
    "Satisfaction",
    "Sector",
    "Site",
    "SiteKind",
    "ThrottleHit",
    "Source",
    "State",
    "Unavailability",
    "Visit",
    "VisitDeputy",
    "Weekday",
]
