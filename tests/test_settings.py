import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_django(code: str, **env) -> str:
    script = "import django; django.setup()\n" + code
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_default_database_is_sqlite_under_var_in_wal_mode(tmp_path):
    code = (
        "from django.db import connection\n"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode')\n"
        "print(c.fetchone()[0], connection.settings_dict['NAME'])"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    mode, name = result.stdout.split()
    assert mode == "wal"
    assert name == str(tmp_path / "db.sqlite3")


def test_environment_selects_database_redis_and_s3(tmp_path):
    out = run_django(
        "from django.conf import settings as s\n"
        "print(s.DATABASES['default']['ENGINE'], s.Q_CLUSTER.get('redis'), s.STORAGES['default']['BACKEND'],"
        " s.DEBUG, s.ALLOWED_HOSTS, s.MEDIA_ROOT)",
        DATABASE_URL="postgres://u:p@db.example:5432/cm",
        REDIS_URL="redis://127.0.0.1:6379/0",
        AWS_STORAGE_BUCKET_NAME="bucket",
        DJANGO_DEBUG="1",
        ALLOWED_HOSTS="cm.example.org",
        MEDIA_ROOT=str(tmp_path / "media"),
        VAR_DIR=str(tmp_path),
    )
    assert out == (
        f"django.db.backends.postgresql redis://127.0.0.1:6379/0 storages.backends.s3.S3Storage True "
        f"['cm.example.org'] {tmp_path / 'media'}"
    )
