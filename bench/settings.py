"""Settings for the API benchmark's server: the app, plus a bare view to compare with."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
