"""The database cache's table (settings.CACHES), so that `migrate` alone sets up a database.

Without it the worker logged "no such table: cache_table" until `createcachetable` was run.
`createcachetable` skips tables that exist and caches that are not in the database (Redis).
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("panel", "0002_rate_windows")]

    # The table belongs to the cache, not to this migration: unapplying leaves it.
    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
