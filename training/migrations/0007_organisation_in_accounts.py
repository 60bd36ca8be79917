"""Organisation moved from the panel app to accounts (see accounts 0001): the foreign keys now
name accounts.organisation. The table they point at is the same, so no column changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("training", "0006_run_evaluation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="alignmentjob",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="alignment_jobs",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="transcriptionjob",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="transcription_jobs",
                        to="accounts.organisation",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
