"""Create the town or street region of every town the existing sites name, under their district's county.

From now on the network's services keep them (stations/services/regions.py); this fills in the towns of sites
written before. A district without a county region has nothing to hang towns on and is left as it is. Towns
already recorded (by name, under the county) are kept; nothing is deleted, and going back keeps the regions
(they are administrative data, and may have been given their codes since). No audit entries: a data migration
is the deployment's act, as 0018 was.
"""

from django.db import migrations


def create_towns(apps, schema_editor):
    Region = apps.get_model("stations", "Region")
    Site = apps.get_model("stations", "Site")
    # The connection migrating (the tables' owner on PostgreSQL), not "default".
    db = schema_editor.connection.alias
    named = (
        Site.objects.using(db)
        .filter(district__region__level="county")
        .order_by()
        .values_list("district__region_id", "town")
        .distinct()
    )
    wanted = {(county_id, town.strip()) for county_id, town in named if town and town.strip()}
    present = set(
        Region.objects.using(db)
        .filter(parent_id__in={county_id for county_id, _ in wanted})
        .values_list("parent_id", "name")
    )
    Region.objects.using(db).bulk_create(
        Region(name=town, level="town", parent_id=county_id) for county_id, town in sorted(wanted - present)
    )


class Migration(migrations.Migration):
    dependencies = [("stations", "0025_handling_body_district")]

    operations = [migrations.RunPython(create_towns, migrations.RunPython.noop)]
