"""Handling bodies belong to a district, or are shared by every district (issue 15): station staff are offered only
their opinions' district's bodies and the shared ones.

A body already used gets the district of the opinions referred to it when they all come from one district;
a body used by several districts, or not yet used, stays shared (a district administrator can narrow it)."""

import django.db.models.deletion
from django.db import migrations, models


def give_bodies_their_district(apps, schema_editor):
    HandlingBody = apps.get_model("stations", "HandlingBody")
    Opinion = apps.get_model("stations", "Opinion")
    OpinionEvent = apps.get_model("stations", "OpinionEvent")
    db = schema_editor.connection.alias  # migrate's connection (the tables' owner), not the runtime role's
    districts: dict[int, set[int]] = {}
    # An opinion referred again to another body keeps the earlier one only in its timeline: both count.
    for rows in (
        Opinion.objects.using(db).filter(handling_body__isnull=False).values_list("handling_body_id", "site__district_id"),
        OpinionEvent.objects.using(db).filter(handling_body__isnull=False).values_list(
            "handling_body_id", "opinion__site__district_id"
        ),
    ):
        for body_id, district_id in rows.distinct():
            districts.setdefault(body_id, set()).add(district_id)
    for body_id, found in districts.items():
        if len(found) == 1:
            HandlingBody.objects.using(db).filter(pk=body_id).update(district_id=found.pop())


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0024_opinion_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="handlingbody",
            name="district",
            field=models.ForeignKey(
                blank=True,
                help_text="Leave empty for a body shared by every district.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="handling_bodies",
                to="stations.district",
                verbose_name="district",
            ),
        ),
        migrations.RunPython(give_bodies_their_district, migrations.RunPython.noop, elidable=True),
    ]
