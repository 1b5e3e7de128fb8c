"""Turning a browser into a registered kiosk with a one-time URL."""
from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from kiosk.core import kiosks
from kiosk.detainee import DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE, blueprint
from kiosk.web.db import get_session


@blueprint.get("/enroll/<token>")
def enroll(token: str):
    db = get_session()
    enrolled = kiosks.enroll(db, token, request.remote_addr)
    if enrolled is None:
        return render_template("kiosk/not_set_up.html", enrollment_failed=True), 404
    _kiosk, device_token = enrolled
    db.commit()
    response = redirect(url_for("kiosk.start"))
    response.set_cookie(
        DEVICE_COOKIE, device_token, max_age=DEVICE_COOKIE_MAX_AGE, path="/kiosk", httponly=True,
        secure=current_app.config["KIOSK"].cookie_secure, samesite="Lax",
    )
    return response
