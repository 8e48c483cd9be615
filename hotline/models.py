from django.db import models


class Heartbeat(models.Model):
    """When a periodic job last finished, one row per job: /readyz reads it to tell
    whether beat and the workers are alive (a beat that stopped leaves a stale row)."""

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()
    seconds = models.FloatField(null=True, help_text="how long the last run took")

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
