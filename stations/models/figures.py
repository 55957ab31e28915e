"""Summary cells of the official figures (issue 15): one row per district, local month, dimension and key.

The cells are a copy of what `stations.selectors.stats` computes from the records, kept by the services: when a
service changes anything a figure depends on, it recomputes the district-months it touched from the records
(stations/figure_cells.py) inside its own transaction. Nobody edits them; `manage.py check_figures` compares them
with the records and `manage.py rebuild_figures` recomputes them.
"""

from __future__ import annotations

from django.db import models


class FigureMonth(models.Model):
    """A district-month whose cells exist; its row is the lock a recompute takes first (figure_cells.py)."""

    district = models.ForeignKey("stations.District", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the local month.")
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "month"], name="figure_month_unique")]

    def __str__(self) -> str:
        return f"{self.district_id} {self.month:%Y-%m}"


class FigureCell(models.Model):
    """The time-independent figures of one group of a district-month. Dimension "" (key "") holds the totals;
    "category", "channel" and "body" hold one cell per key (a handling body's id, "" for none)."""

    district = models.ForeignKey("stations.District", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    dimension = models.CharField(max_length=16, blank=True)
    key = models.CharField(max_length=64, blank=True)

    shifts_held = models.IntegerField(default=0)
    offshift_events = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)
    voters = models.IntegerField(default=0)
    opinions = models.IntegerField(default=0)
    not_accepted = models.IntegerField(default=0)
    accepted = models.IntegerField(default=0)
    referred = models.IntegerField(default=0)
    replied = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_explained = models.IntegerField(default=0)
    still_open = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    # The part of "due" that no longer depends on the date: answered opinions with a deadline.
    due_replied = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    scheduled = models.IntegerField(default=0)
    present = models.IntegerField(default=0)
    absent = models.IntegerField(default=0)
    substituted = models.IntegerField(default=0)
    unmarked = models.IntegerField(default=0)
    absent_by_reason = models.JSONField(default=dict, blank=True)
    # The days to reply of the opinions answered, exactly as the median is taken over them, in two levels so that
    # a median over many cells reads little: {"d<whole days>": how many} and {"d<whole days>": {exact value as
    # text: how many}}. The first finds the whole day holding the middle; only that day's values are read.
    reply_day_counts = models.JSONField(default=dict, blank=True)
    reply_days = models.JSONField(default=dict, blank=True)
    # What changes with the date alone (stats.PENDING_BY_DEADLINE), by deadline: {"YYYY-MM-DD": [overdue once the
    # day is past, not answered once the day is past]}. Today's figures add up the deadlines before today.
    pending_deadlines = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "month", "dimension", "key"], name="figure_cell_unique")
        ]
        indexes = [models.Index(fields=["dimension", "month", "district"], name="figure_cell_dim_month_idx")]

    def __str__(self) -> str:
        return f"{self.district_id} {self.month:%Y-%m} {self.dimension}:{self.key}"
