"""A voter's rights: district administrators find a voter's records by phone, export and anonymise them.

The phone number travels only in POST bodies, never in a URL, so it cannot reach access logs, browser
history or a Referer header.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from stations.audit import Actor, audit
from stations.clock import local_today
from stations.exports import XLSX_CONTENT_TYPE, attachment
from stations.forms.privacy import AnonymiseForm, VoterPhoneForm
from stations.models import AuditAction
from stations.policy import can_handle_voter_rights, requires, visible_sites
from stations.privacy import mask_phone
from stations.selectors.privacy import voter_records
from stations.services import privacy as privacy_services


@never_cache
@requires(can_handle_voter_rights)
def voter_lookup(request: HttpRequest) -> HttpResponse:
    form = VoterPhoneForm(request.POST or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        records = voter_records(phone=phone, sites=visible_sites(request.user))
        audit(
            action=AuditAction.PERSONAL_DATA_VIEWED,
            actor=Actor.from_request(request),
            summary=gettext_noop("voter's records looked up by phone"),
            changes={"phone": mask_phone(phone), "visits": len(records.visits), "opinions": len(records.opinions)},
        )
        context.update(
            records=records,
            phone=phone,
            anonymise_form=AnonymiseForm(initial={"phone": phone}),
        )
    return render(request, "stations/privacy/voter_lookup.html", context)


@require_POST
@requires(can_handle_voter_rights)
def voter_export(request: HttpRequest) -> HttpResponse:
    form = VoterPhoneForm(request.POST)
    if not form.is_valid():
        return render(request, "stations/privacy/voter_lookup.html", {"form": form}, status=400)
    phone = form.cleaned_data["phone"]
    content = privacy_services.voter_export_xlsx(
        phone=phone,
        records=voter_records(phone=phone, sites=visible_sites(request.user)),
        actor=Actor.from_request(request),
    )
    # The file name carries the masked number only: it shows up in download folders and mail.
    name = f"voter-{mask_phone(phone).replace('*', 'x')}-{local_today():%Y%m%d}.xlsx"
    return attachment(content, filename=name, content_type=XLSX_CONTENT_TYPE)


@require_POST
@requires(can_handle_voter_rights)
def voter_anonymise(request: HttpRequest) -> HttpResponse:
    form = AnonymiseForm(request.POST)
    if form.is_valid():
        try:
            result = privacy_services.voter_anonymise(
                phone=form.cleaned_data["phone"],
                actor=Actor.from_request(request),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Erased: %(visits)d visit records and %(opinions)d opinions of %(phone)s.")
                % {
                    "visits": result.visits,
                    "opinions": result.opinions,
                    "phone": mask_phone(form.cleaned_data["phone"]),
                },
            )
            return redirect("stations:voter_lookup")
    phone = form.data.get("phone", "")
    context: dict[str, Any] = {"form": VoterPhoneForm(initial={"phone": phone}), "anonymise_form": form}
    if "phone" in form.cleaned_data:
        context.update(
            records=voter_records(phone=form.cleaned_data["phone"], sites=visible_sites(request.user)),
            phone=form.cleaned_data["phone"],
        )
    return render(request, "stations/privacy/voter_lookup.html", context, status=400)
