"""A bare Flask app: the baseline bench/kiosk_pages.py compares the kiosk's throughput with.

Served by gunicorn with exactly the kiosk's settings: `gunicorn 'hello_app:app'`.
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"
