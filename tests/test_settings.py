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


def settings_of(*names: str, **env) -> list[str]:
    return run_django(
        f"from django.conf import settings as s\nprint(*[getattr(s, n) for n in {names!r}])", **env
    ).split()


def test_https_turns_on_secure_cookies_and_hsts(tmp_path):
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT")
    assert settings_of(*names, VAR_DIR=str(tmp_path), SECURE_SSL_REDIRECT="true") == [
        "True",
        "True",
        "31536000",
        "True",
    ]
    # TLS redirects done by the proxy: HTTPS_ONLY, and a shorter HSTS while trying it out.
    assert settings_of(*names, VAR_DIR=str(tmp_path), HTTPS_ONLY="1", SECURE_HSTS_SECONDS="3600") == [
        "True",
        "True",
        "3600",
        "False",
    ]


def test_plain_http_by_default_sets_no_secure_cookies_or_hsts(tmp_path):
    names = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS")
    unset = {"SECURE_SSL_REDIRECT": "", "HTTPS_ONLY": ""}
    assert settings_of(*names, VAR_DIR=str(tmp_path), **unset) == ["False", "False", "0"]


def test_login_throttling_is_configured_from_the_environment(tmp_path):
    names = ("AXES_FAILURE_LIMIT", "AXES_COOLOFF_TIME", "AXES_IPWARE_META_PRECEDENCE_ORDER")
    out = run_django(
        f"from django.conf import settings as s\nprint(*[repr(getattr(s, n)) for n in {names!r}], sep='|')",
        VAR_DIR=str(tmp_path),
        LOGIN_FAILURE_LIMIT="5",
        LOGIN_COOLOFF_MINUTES="60",
        CLIENT_IP_HEADER="X-Real-IP",
    )
    assert out.split("|") == ["5", "datetime.timedelta(seconds=3600)", "('HTTP_X_REAL_IP', 'REMOTE_ADDR')"]


def test_migrate_alone_makes_the_cache_work(tmp_path):
    # The worker's first cache use used to fail with "no such table: cache_table" until
    # `createcachetable` was run by hand.
    # A fresh SQLite database under VAR_DIR, its cache in the database (empty means unset).
    env = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "", "REDIS_URL": ""}
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    use_cache = "from django.core.cache import cache\ncache.set('k', 'v', 60)\nprint(cache.get('k'))"
    assert run_django(use_cache, **env) == "v"
