# The master person index: master persons, record links, the review queue, merges.

import crisisgov.kernel.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0005_corrections_open_data'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='MasterPerson',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('area_path', models.CharField(db_index=True, max_length=21)),
                ('id_index', crisisgov.kernel.fields.BlindIndexField(blank=True, db_index=True, editable=False, kind='national_id', max_length=40, source='')),
                ('active', models.BooleanField(default=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('merged_into', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='exchange.masterperson')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='PersonLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('area_path', models.CharField(db_index=True, max_length=21)),
                ('linked_at', models.DateTimeField(auto_now=True)),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='links', to='exchange.masterperson')),
                ('record', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='person_link', to='exchange.record')),
            ],
        ),
        migrations.CreateModel(
            name='ReviewItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('area_path', models.CharField(db_index=True, max_length=21)),
                ('kind', models.CharField(max_length=12)),
                ('probability', models.FloatField()),
                ('match_weight', models.FloatField()),
                ('levels', models.JSONField(default=list)),
                ('status', models.CharField(choices=[('open', 'open'), ('merged', 'merged'), ('separated', 'separated')], default='open', max_length=10)),
                ('decided_at', models.DateTimeField(blank=True, null=True)),
                ('reason', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('left', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='exchange.record')),
                ('right', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='exchange.record')),
            ],
            options={
                'ordering': ['-probability', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PersonMerge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('moved_records', models.JSONField(default=list)),
                ('area_path', models.CharField(db_index=True, max_length=21)),
                ('merged_at', models.DateTimeField(auto_now_add=True)),
                ('reason', models.TextField()),
                ('undone_at', models.DateTimeField(blank=True, null=True)),
                ('undo_reason', models.TextField(blank=True)),
                ('absorbed', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='exchange.masterperson')),
                ('merged_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('survivor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='exchange.masterperson')),
                ('undone_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('item', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='merges', to='exchange.reviewitem')),
            ],
            options={
                'ordering': ['-merged_at', '-id'],
            },
        ),
        migrations.AddConstraint(
            model_name='reviewitem',
            constraint=models.UniqueConstraint(fields=('left', 'right'), name='one_review_per_pair'),
        ),
    ]
