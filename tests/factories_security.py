"""Test-data builders for the security and personal-data tests."""

import datetime as dt
import itertools

from django.utils import timezone

from stations.models import Opinion, Visit

_numbers = itertools.count(1)


def make_visit(site, recorded_by, **fields) -> Visit:
    values = {
        "occurred_at": timezone.now() - dt.timedelta(days=1),
        "visitor_name": "王小明",
        "visitor_phone": "13812345678",
        "people": 1,
        "summary": "村口道路破损，希望尽快修复。",
    }
    values.update(fields)
    return Visit.objects.create(site=site, recorded_by=recorded_by, **values)


def make_opinion(site, **fields) -> Opinion:
    number = next(_numbers)
    values = {
        "reference": f"NH-2025-{number:05d}",
        "tracking_code": f"TEST-{number:05d}",
        "content": "建议在村里增设路灯。",
        "submitter_name": "王小明",
        "submitter_phone": "13812345678",
        "submitter_email": "wang@example.cn",
    }
    values.update(fields)
    return Opinion.objects.create(site=site, **values)
