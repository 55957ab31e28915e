"""`manage.py import_records FILE [--dry-run] [--kind KIND] [--district SLUG] [--user NAME]`: import a district's
spreadsheet (XLSX or CSV) through the services; all of the file or nothing of it (README, "Importing records")."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from stations.audit import Actor
from stations.imports.kinds import KINDS
from stations.models import District, Site
from stations.services.imports import records_import


class Command(BaseCommand):
    help = "Import sites, deputies, reception rules or visits from an XLSX or CSV file (all or nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check every row and save nothing")
        parser.add_argument(
            "--kind", choices=sorted(KINDS), help="the kind of records (found from the header if not given)"
        )
        parser.add_argument("--district", help="slug of the district (needed when there are several)")
        parser.add_argument("--user", help="user name recorded as the importer (required for visits)")

    def handle(
        self, *args, file: Path, dry_run: bool, kind: str | None, district: str | None, user: str | None, **options
    ) -> None:
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        districts = District.objects.filter(slug=district) if district else District.objects.all()
        if districts.count() != 1:
            raise CommandError(
                "name the district with --district SLUG" if not district else f"no district {district!r}"
            )
        actor = Actor.system()
        if user:
            account = get_user_model().objects.filter(username=user, is_active=True).first()
            if account is None:
                raise CommandError(f"no active user {user!r}")
            actor = Actor(user=account)
        chosen = districts.get()
        # Messages are for the district's staff: in Chinese, as on the upload page.
        with translation.override("zh-hans"), file.open("rb") as stream:
            result = records_import(
                stream=stream,
                name=file.name,
                actor=actor,
                district=chosen,
                sites=Site.objects.filter(district=chosen),
                kinds=list(KINDS),
                kind=kind,
                dry_run=dry_run,
            )
            for problem in result.problems:
                where = f"第 {problem.row} 行" if problem.row else "文件"
                column = f" · {problem.column}" if problem.column else ""
                value = f" · “{problem.value}”" if problem.value else ""
                self.stderr.write(f"{where}{column}{value}: {problem.message}")
            if result.problem_count > len(result.problems):
                self.stderr.write(f"…… 另有 {result.problem_count - len(result.problems)} 个问题未列出")
        self.stdout.write(f"{result.kind or '?'}: {result.rows} rows")
        for record, totals in result.totals().items():
            self.stdout.write(
                f"  {record}: {totals['created']} created, {totals['updated']} updated, {totals['unchanged']} unchanged"
            )
        if result.problem_count:
            raise CommandError(f"{result.problem_count} problems; nothing was saved")
        self.stdout.write("dry run: nothing was saved" if dry_run else "saved")
