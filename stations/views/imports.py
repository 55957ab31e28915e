"""Importing a district's spreadsheets (issue 12): the upload page, its result, and the templates."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from stations.audit import Actor
from stations.exports import XLSX_CONTENT_TYPE, attachment
from stations.forms.imports import ImportForm
from stations.imports.kinds import KINDS
from stations.imports.templates import allowed_values, template_columns, template_csv, template_xlsx
from stations.models import District
from stations.policy import can_import, district_of, import_kinds, requires, stats_districts, visible_sites
from stations.services.imports import records_import


def _districts_for(request: HttpRequest) -> list[District]:
    """The districts the user may import into (issue 15): a station head's station's, a district administrator's
    own, every district below a city or province administrator (the form then asks which one)."""
    own = district_of(request.user)
    if own is not None:
        return [own]
    return list(stats_districts(request.user).order_by("name"))


@never_cache
@requires(can_import)
def import_records(request: HttpRequest) -> HttpResponse:
    kinds = import_kinds(request.user)
    districts = _districts_for(request)
    form = ImportForm(request.POST or None, request.FILES or None, kinds=kinds, districts=districts)
    result = None
    status = 200
    if request.method == "POST":
        valid = form.is_valid()
        district = form.cleaned_data.get("district") if valid and "district" in form.fields else None
        district = district or (districts[0] if districts else None)
        if valid and district is not None:
            upload = form.cleaned_data["file"]
            result = records_import(
                stream=upload.file,
                name=upload.name,
                actor=Actor.from_request(request),
                district=district,
                sites=visible_sites(request.user).filter(district=district),
                kinds=kinds,
                kind=form.cleaned_data["kind"] or None,
                dry_run=form.cleaned_data["dry_run"],
            )
        else:
            status = 400
    guide = [
        (KINDS[key], [(column, allowed_values(column)) for column in template_columns(KINDS[key])]) for key in kinds
    ]
    return render(
        request,
        "stations/imports/import.html",
        {
            "form": form,
            "result": result,
            "guide": guide,
            "kind_label": KINDS[result.kind].label if result and result.kind else "",
        },
        status=status,
    )


@requires(can_import)
def import_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in import_kinds(request.user) or fmt not in ("xlsx", "csv"):
        raise Http404
    filename = f"import-{kind}.{fmt}"
    if fmt == "xlsx":
        return attachment(template_xlsx(KINDS[kind]), filename=filename, content_type=XLSX_CONTENT_TYPE)
    return attachment(template_csv(KINDS[kind]), filename=filename, content_type="text/csv; charset=utf-8")
