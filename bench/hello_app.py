"""Bare Flask apps, the baselines the benches compare the product's throughput with.

Served by gunicorn with exactly the product's settings: `gunicorn 'hello_app:app'`.
"""
from flask import Flask, request

# bench/kiosk_pages.py's: GET only.
app = Flask(__name__)


@app.get("/")
def hello():
    return "hello"


# bench/sms_status.py's: takes the webhook's form, as any form handler does.
form_app = Flask(__name__)


@form_app.route("/", methods=["GET", "POST"])
def hello_form():
    request.form  # read the body
    return "hello"
