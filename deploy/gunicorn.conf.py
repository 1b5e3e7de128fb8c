# gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py kiosk.wsgi:app`
import multiprocessing
import os

bind = os.environ.get("KIOSK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KIOSK_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
max_requests = 5000          # recycle workers now and then: bounded memory over months
max_requests_jitter = 500
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
# No query strings in the access log: nothing personal leaks into logs.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
