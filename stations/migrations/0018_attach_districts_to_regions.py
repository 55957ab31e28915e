"""Attach the districts a portal already holds to a region chain, and tie their administrators to them.

The portal has served Nanhu District (Jiaxing, Zhejiang): each district without a region is placed under
浙江省 → 嘉兴市 as a county-level region of its own name (南湖区 with its national code). An administrator
corrects the chain in the admin if a district lies elsewhere. With exactly one district, district
administrators without a district are tied to it, so their scope (and imports) stay exactly as they were.
"""

from django.db import migrations

PROVINCE = ("浙江省", "330000000000")
CITY = ("嘉兴市", "330400000000")
KNOWN_COUNTY_CODES = {"南湖区": "330402000000", "秀洲区": "330411000000"}


def attach(apps, schema_editor):
    District = apps.get_model("stations", "District")
    Region = apps.get_model("stations", "Region")
    Membership = apps.get_model("stations", "Membership")
    # The connection migrating (the tables' owner on PostgreSQL), not "default".
    db = schema_editor.connection.alias
    districts_, regions, memberships = (
        District.objects.using(db),
        Region.objects.using(db),
        Membership.objects.using(db),
    )
    loose = list(districts_.filter(region__isnull=True).order_by("pk"))
    if loose:
        province, _ = regions.get_or_create(
            name=PROVINCE[0], parent=None, defaults={"level": "province", "code": PROVINCE[1]}
        )
        city, _ = regions.get_or_create(name=CITY[0], parent=province, defaults={"level": "city", "code": CITY[1]})
        for district in loose:
            code = KNOWN_COUNTY_CODES.get(district.name)
            if code and regions.filter(code=code).exists():
                code = None
            county, _ = regions.get_or_create(
                name=district.name, parent=city, defaults={"level": "county", "code": code}
            )
            district.region = county
            district.save(using=db, update_fields=["region"])
    districts = list(districts_.all()[:2])
    if len(districts) == 1:
        memberships.filter(role="district_admin", district__isnull=True).update(district=districts[0])


def detach(apps, schema_editor):
    # The schema migration before this one drops the columns; nothing to undo row by row.
    pass


class Migration(migrations.Migration):
    dependencies = [("stations", "0017_regions")]

    operations = [migrations.RunPython(attach, detach)]
