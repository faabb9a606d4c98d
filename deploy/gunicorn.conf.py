"""gunicorn settings for one Bimtek Halal instance (also used by `make bench` for the app and its baseline).

Every value can be overridden from the environment (the systemd unit reads /etc/bimtek/bimtek.env), so one
file serves every instance: `gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'`.

Sizing (measured on a 2-core machine, see deploy/README.md): 2 workers per core x 2 threads per instance. The
module page on PostgreSQL served 127 req/s with 2 x 4, 233 with 4 x 2, 247 with 6 x 2: a worker is bound by
Python's GIL, so while some wait on PostgreSQL others must be ready to use the cores. Each worker holds its own
SQLAlchemy pool but uses at most `threads` connections at once: instances x workers x threads (plus headroom)
must stay under PostgreSQL's max_connections.
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
workers = _int("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1))
threads = _int("GUNICORN_THREADS", 2)
worker_class = "gthread"
# a request that takes longer than this is killed and logged; exports stream, PDFs are small
timeout = _int("GUNICORN_TIMEOUT", 30)
# on SIGTERM (deploy, restart) in-flight requests get this long to finish (REL-F4)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# recycle workers after N requests (0 = never); a guard against slow leaks, with jitter so they don't all restart
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 50)
backlog = _int("GUNICORN_BACKLOG", 2048)
# only nginx on this host may set X-Forwarded-* headers
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proxy_allow_ips = forwarded_allow_ips
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None  # nginx keeps the access log
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("GUNICORN_PROC_NAME", "bimtek")
# workers import the app themselves: no database connection is inherited across fork
preload_app = False
# gunicorn 27's control socket defaults to one path per user: several instances on one host would share it.
# Give each instance its own (GUNICORN_CONTROL_SOCKET), or switch it off (the default here).
_control = os.environ.get("GUNICORN_CONTROL_SOCKET")
if _control:
    control_socket = _control
else:
    control_socket_disable = True
