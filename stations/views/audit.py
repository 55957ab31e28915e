"""The audit log viewer, for district administrators."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from stations.forms.audit import AuditFilter
from stations.models.audit import MIN_RETENTION_DAYS
from stations.paging import bounded_page
from stations.policy import can_view_audit_log, requires, visible_audit_entries

PAGE_SIZE = 50


@requires(can_view_audit_log)
def audit_log(request: HttpRequest) -> HttpResponse:
    # Entries carry the actor's name, so the page needs no join: a count and one page of rows, of the entries
    # written by the accounts the administrator looks after (all of them for the portal-wide administrator).
    filters = AuditFilter(request.GET or None, queryset=visible_audit_entries(request.user))
    page = bounded_page(filters.qs, PAGE_SIZE, request.GET.get("page"))
    return render(
        request,
        "stations/audit/audit_log.html",
        {"filters": filters, "page": page, "retention_days": MIN_RETENTION_DAYS},
    )
