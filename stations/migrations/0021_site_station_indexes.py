# The indexes and the check of Site.station, in a migration of their own: on PostgreSQL an ALTER TABLE cannot
# follow the data migration's updates in one transaction while deferred triggers are pending.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('stations', '0020_site_station'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='site',
            options={'ordering': ['district', models.OrderBy(models.F('station__town')), models.OrderBy(models.F('station__name')), models.OrderBy(models.F('kind'), descending=True), models.OrderBy(models.F('name'))], 'verbose_name': 'site', 'verbose_name_plural': 'sites'},
        ),
        migrations.AddIndex(
            model_name='site',
            index=models.Index(fields=['district', 'kind', 'town', 'name'], name='site_district_kind_idx'),
        ),
        migrations.AddIndex(
            model_name='site',
            index=models.Index(fields=['station', 'kind', 'name'], name='site_station_kind_idx'),
        ),
        migrations.AddConstraint(
            model_name='site',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'station'), models.Q(('station__isnull', True), ('station', models.F('id')), _connector='OR')), models.Q(models.Q(('kind', 'station'), _negated=True), ('station__isnull', False), models.Q(('station', models.F('id')), _negated=True)), _connector='OR'), name='site_station_is_the_top_of_the_chain'),
        ),
    ]
