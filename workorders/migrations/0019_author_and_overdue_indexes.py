"""List indexes (issue 14, target 2): the running orders' due indexes gain the id, so an
overdue page or a queue is their first rows whatever PostgreSQL guesses of their number;
everything an author filed, newest first (with the id), replaces the author foreign
key's plain index."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('grids', '0005_service_area'),
        ('workorders', '0018_followup_notify'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='workorder',
            name='workorder_running_due',
        ),
        migrations.RemoveIndex(
            model_name='workorder',
            name='workorder_creator_running_due',
        ),
        migrations.AlterField(
            model_name='workorder',
            name='created_by',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(condition=models.Q(('status__in', ['closed', 'merged', 'rejected']), _negated=True), fields=['due_at', 'id'], name='workorder_running_due'),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(condition=models.Q(('status__in', ['closed', 'merged', 'rejected']), _negated=True), fields=['created_by', 'due_at', 'id'], name='workorder_creator_running_due'),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(fields=['created_by', 'created_at', 'id'], name='workorder_author_created'),
        ),
    ]
