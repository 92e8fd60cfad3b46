"""gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working
directory (or pass `-c gunicorn.conf.py`).

Each worker is a separate process holding no state of its own: sessions are signed cookies,
rate-limit counters and cached answers live in Redis (LMS_REDIS_URL), everything else in
PostgreSQL (LMS_DATABASE_URL). So any number of workers, on any number of hosts, can sit
behind one load balancer. Every setting below can be overridden with an LMS_GUNICORN_*
variable or on the command line.
"""

import multiprocessing
import os


def setting(name: str, default: str) -> str:
    """An LMS_GUNICORN_<NAME> environment variable, or the default."""
    return os.environ.get(f"LMS_GUNICORN_{name}", default)


bind = setting("BIND", "127.0.0.1:8000")
# Threads let a worker overlap database and Redis round trips; processes use the cores.
worker_class = "gthread"
workers = int(setting("WORKERS", str(multiprocessing.cpu_count() * 2)))
threads = int(setting("THREADS", "4"))
# A request that takes longer than this is a bug or an attack: the worker is replaced.
timeout = int(setting("TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak can never grow without bound.
max_requests = int(setting("MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# Each worker builds its own app, engine and connection pool after the fork: a pool
# shared across a fork would hand one database connection to two processes.
preload_app = False
accesslog = setting("ACCESSLOG", "-")
errorlog = "-"
# Behind a proxy that sets X-Forwarded-For, set LMS_TRUSTED_PROXIES too (lms.core.config).
forwarded_allow_ips = setting("FORWARDED_ALLOW_IPS", "127.0.0.1")
