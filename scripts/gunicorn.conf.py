"""gunicorn settings for `make run` and production.

Threads let a slow tus chunk upload and status polls share a worker; the
timeout is long enough for a 50 MB chunk on a slow link.
"""

import multiprocessing
import os

workers = int(os.environ.get("WEB_WORKERS", max(2, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", 4))
timeout = int(os.environ.get("WEB_TIMEOUT", 300))
graceful_timeout = 30
accesslog = "-"
max_requests = 2000
max_requests_jitter = 200
