"""Server-side sessions with one cookie per surface.

The browser holds only a random id; the data lives in the database under the
id's digest. Each surface (kiosk, staff) has its own cookie name and idle
timeout, so being signed in on one says nothing on the other. An expired kiosk
session leaves nothing behind but the language, which the next person is
likely to share.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from flask import request
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import bindparam, delete, insert, select, update
from werkzeug.datastructures import CallbackDict

from kiosk.core.credentials import digest, new_token
from kiosk.core.models import WebSession, utcnow

# An active session's expiry is pushed forward at most this often (saves a write per request).
REFRESH_EVERY = timedelta(seconds=10)
PURGE_EVERY_SECONDS = 60
KEPT_AFTER_EXPIRY = ("locale",)

# Run on nearly every request, so built once.
_LOAD = select(WebSession.data, WebSession.expires_at).where(
    WebSession.id == bindparam("key"), WebSession.surface == bindparam("surface"))
_DELETE = delete(WebSession).where(WebSession.id == bindparam("key"))
_UPDATE = update(WebSession).where(WebSession.id == bindparam("key"))


@dataclass(frozen=True)
class Surface:
    name: str
    path_prefix: str
    cookie_name: str
    idle_timeout: timedelta
    same_site: str = "Strict"


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, sid: str | None = None, expires_at=None, timed_out: bool = False):
        def on_update(_self):
            _self.modified = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.expires_at = expires_at
        self.timed_out = timed_out  # this request found the previous session expired
        self.rotate = False
        self.modified = False

    def clear_all_but_language(self) -> None:
        """Ends the session: a new id, nothing kept but the chosen language."""
        kept = {key: self[key] for key in KEPT_AFTER_EXPIRY if key in self}
        self.clear()
        self.update(kept)
        self.rotate = True


class ServerSessionInterface(SessionInterface):
    def __init__(self, database, surfaces: list[Surface], secure: bool):
        self.database = database
        self.surfaces = surfaces
        self.secure = secure
        self._last_purge = 0.0

    def surface_for(self, path: str) -> Surface | None:
        return next((s for s in self.surfaces if path == s.path_prefix or path.startswith(s.path_prefix + "/")), None)

    def open_session(self, app, request):
        surface = self.surface_for(request.path)
        if surface is None or request.path.startswith(surface.path_prefix + "/static/"):
            return None  # a null session: nothing on this path may store anything
        sid = request.cookies.get(surface.cookie_name)
        if not sid:
            return ServerSession()
        key = digest(sid)
        with self.database.engine.connect() as db:
            row = db.execute(_LOAD, {"key": key, "surface": surface.name}).first()
        if row is None:
            return ServerSession()
        data, expires_at = row
        if expires_at > utcnow():
            return ServerSession(data, sid=sid, expires_at=expires_at)
        with self.database.engine.begin() as db:
            db.execute(_DELETE, {"key": key})
        kept = {name: data[name] for name in KEPT_AFTER_EXPIRY if name in data}
        session = ServerSession(kept, timed_out=True)
        session.rotate = True
        return session

    def save_session(self, app, session, response):
        if not isinstance(session, ServerSession):
            return
        surface = self.surface_for(request.path)
        now = utcnow()
        ending = session.sid is not None and (session.rotate or not session)
        creating = bool(session) and (session.sid is None or ending)
        refreshing = not ending and session.sid is not None and (
            session.modified or session.expires_at - now < surface.idle_timeout - REFRESH_EVERY
        )
        if ending or creating or refreshing:
            expires_at = now + surface.idle_timeout
            with self.database.engine.begin() as db:
                if ending:
                    db.execute(_DELETE, {"key": digest(session.sid)})
                if creating:
                    session.sid = new_token()
                    db.execute(insert(WebSession).values(id=digest(session.sid), surface=surface.name,
                                                         data=dict(session), expires_at=expires_at))
                    self._set_cookie(response, surface, session.sid)
                elif refreshing:
                    db.execute(_UPDATE.values(data=dict(session), expires_at=expires_at), {"key": digest(session.sid)})
                self._purge_expired(db, now)
        if not session and request.cookies.get(surface.cookie_name):
            response.delete_cookie(surface.cookie_name, path=surface.path_prefix,
                                   secure=self.secure, samesite=surface.same_site, httponly=True)

    def _set_cookie(self, response, surface: Surface, sid: str) -> None:
        # No max-age: the cookie ends with the browser; the server decides when the data ends.
        response.set_cookie(
            surface.cookie_name, sid, path=surface.path_prefix, httponly=True,
            secure=self.secure, samesite=surface.same_site,
        )

    def _purge_expired(self, db, now) -> None:
        if time.monotonic() - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = time.monotonic()
        db.execute(delete(WebSession).where(WebSession.expires_at <= now))

