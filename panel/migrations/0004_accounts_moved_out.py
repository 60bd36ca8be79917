"""The panel keeps no models: Plan, Organisation, Membership, ApiKey and RateWindow are the
accounts app's now (accounts 0001). Only Django's migration state forgets them here; their
tables stay, under the same names, and belong to accounts."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("panel", "0003_cache_table"),
        ("accounts", "0001_initial"),
        ("custom_models", "0004_organisation_in_accounts"),
        ("training", "0007_organisation_in_accounts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ApiKey"),
                migrations.DeleteModel(name="RateWindow"),
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="Organisation"),
                migrations.DeleteModel(name="Plan"),
            ],
            database_operations=[],
        ),
    ]
