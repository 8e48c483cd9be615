from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("attachments", "0001_initial")]

    operations = [
        # Photos stored before this release were re-encoded during their request: ready.
        migrations.AddField(
            model_name="attachment",
            name="state",
            field=models.CharField(
                choices=[("processing", "处理中"), ("ready", "可用"), ("rejected", "已拒收")],
                default="ready",
                max_length=12,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="state",
            field=models.CharField(
                choices=[("processing", "处理中"), ("ready", "可用"), ("rejected", "已拒收")],
                default="processing",
                max_length=12,
                verbose_name="状态",
            ),
        ),
        migrations.AddField(
            model_name="attachment",
            name="rejected_reason",
            field=models.CharField(
                blank=True,
                choices=[("unreadable", "图片已损坏或无法读取"), ("too_large", "图片尺寸过大")],
                max_length=12,
                verbose_name="拒收原因",
            ),
        ),
        migrations.AddField(
            model_name="attachment",
            name="processed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="处理时间"),
        ),
        migrations.AddConstraint(
            model_name="attachment",
            constraint=models.CheckConstraint(
                condition=models.Q(("state__in", ["processing", "ready", "rejected"])), name="attachment_state_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="attachment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("rejected_reason__gt", ""), ("state", "rejected")),
                    models.Q(models.Q(("state", "rejected"), _negated=True), ("rejected_reason", "")),
                    _connector="OR",
                ),
                name="attachment_rejected_has_reason",
            ),
        ),
    ]
