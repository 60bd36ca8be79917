"""Organisation moved from the panel app to accounts (see accounts 0001): the foreign keys now
name accounts.organisation. The table they point at is the same, so no column changes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("custom_models", "0003_failure_code_cancelled"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="custommodel",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="custom_models",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="languagepublication",
                    name="granted_by",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="granted_publications",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="languagepublication",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="publications",
                        to="accounts.organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="quotaclaim",
                    name="organisation",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="claims",
                        to="accounts.organisation",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
