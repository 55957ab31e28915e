"""Send the reminders that are due (stations.services.reminders). Run it from cron, e.g. every hour:

    0 * * * *  cd /srv/liaison && .venv/bin/python manage.py send_reminders

Running it again sends nothing twice (each reminder is recorded under a unique key before it goes out).
`--dry-run` counts what would go and sends nothing.
"""

from django.core.management.base import BaseCommand

from stations.audit import Actor
from stations.services.reminders import reminders_send


class Command(BaseCommand):
    help = "Send the reminders that are due (duties tomorrow, reply deadlines, voters' answers); idempotent."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be sent; send nothing.")

    def handle(self, *args, dry_run: bool, **options) -> None:
        run = reminders_send(actor=Actor.system(), dry_run=dry_run)
        verb = "Would send" if dry_run else "Sent"
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(run.sent.items())) or "none"
        self.stdout.write(
            f"{verb} {run.total_sent} reminders ({kinds}); already sent before: {run.already_sent}; "
            f"nobody to reach: {run.unreachable}; failed (retried next run): {run.failed}."
        )
