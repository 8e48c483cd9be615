from django.db import migrations, models


def roll_again(apps, schema_editor):
    """The callbacks' rows so far have no category: drop them and mark the roll-up as
    never built, so the board reads every figure live (exact) until the beat task's
    next run, which rebuilds every table with the new column (rollup_refresh calls
    rollup_rebuild when ``rolled_through`` is empty; ``manage.py rollup_rebuild`` does
    it at once)."""
    apps.get_model("dashboards", "DailyCallbacks").objects.all().delete()
    apps.get_model("dashboards", "RollupState").objects.update(rolled_through=None)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0003_weekly_pairs"),
    ]

    operations = [
        migrations.AddField(
            model_name="dailycallbacks",
            name="category_id",
            field=models.IntegerField(null=True),
        ),
        migrations.RunPython(roll_again, migrations.RunPython.noop),
    ]
