# gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py kiosk.wsgi:app`
import multiprocessing
import os

bind = os.environ.get("KIOSK_BIND", "127.0.0.1:8000")
# One sync worker per core. A request keeps its core busy (SQLite is in process, PostgreSQL a short
# round trip), so more workers than cores only share the cores mid-request: on 2 cores,
# bench/kiosk_pages.py measured p99 57-60 ms with 5 workers against 43-52 ms with 2. nginx buffers slow
# clients, so none holds a worker. Raise KIOSK_WORKERS where the database is far away.
workers = int(os.environ.get("KIOSK_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
max_requests = 5000          # recycle workers now and then: bounded memory over months
max_requests_jitter = 500
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
# No query strings in the access log: nothing personal leaks into logs.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
