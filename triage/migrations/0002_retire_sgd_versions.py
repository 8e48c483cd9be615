"""Versions trained before the streaming Naive Bayes model (triage/model.py) pickled a
different TextClassifier (an SGD model with fitted vocabularies) that the new code cannot
use. They are deactivated, so suggestions fall back to the keyword rules until the next
training run (nightly, or `manage.py train_dispatch_model`) — never a crash at intake."""

from django.db import migrations


def retire(apps, schema_editor):
    ModelVersion = apps.get_model("triage", "ModelVersion")
    ModelVersion.objects.filter(is_active=True).update(
        is_active=False, note="old model format (SGD); retrain with train_dispatch_model"
    )


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial")]

    operations = [migrations.RunPython(retire, migrations.RunPython.noop)]
