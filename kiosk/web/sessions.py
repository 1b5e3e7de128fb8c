"""Server-side sessions with one cookie per surface.

The browser holds only a random id; the data lives in the database under the
id's digest. Each surface (kiosk, staff) has its own cookie name and idle
timeout, so being signed in on one says nothing on the other. An expired or
finished kiosk session leaves nothing behind, not even the language: the next
person at a shared kiosk must find no trace of the one before.

Requests of one session overlap: a form post and the idle timer's keep-alive,
the two taps of a double tap. So a request writes back only the keys it changed,
merged into what is stored: the write is conditional on the row's version, and a
request that finds the row changed since it read it reads it again, applies its
own changes to that and tries again. No request ever drops a key another wrote.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from flask import request
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import bindparam, delete, insert, select, update

from kiosk.core.credentials import digest, new_token
from kiosk.core.models import WebSession, utcnow

# An active session's expiry is pushed forward at most this often (saves a write per request).
REFRESH_EVERY = timedelta(seconds=10)
PURGE_EVERY_SECONDS = 60
# Each failed attempt means another request of the same session wrote first; a handful is plenty.
MERGE_ATTEMPTS = 20

_LOAD = select(WebSession.data, WebSession.version, WebSession.expires_at).where(
    WebSession.id == bindparam("key"), WebSession.surface == bindparam("surface"))
_RELOAD = select(WebSession.data, WebSession.version).where(WebSession.id == bindparam("key"))
_DELETE = delete(WebSession).where(WebSession.id == bindparam("key"))
_WRITE_IF_UNCHANGED = update(WebSession).where(WebSession.id == bindparam("key"),
                                               WebSession.version == bindparam("expected"))
_KEEP_ALIVE = update(WebSession).where(WebSession.id == bindparam("key"))


@dataclass(frozen=True)
class Surface:
    name: str
    path_prefix: str
    cookie_name: str
    idle_timeout: timedelta
    same_site: str = "Strict"


class ServerSession(dict, SessionMixin):
    """The session's data, noting every key this request sets or removes (``changed``)."""

    def __init__(self, initial=None, sid: str | None = None, version: int = 0, expires_at=None,
                 timed_out: bool = False):
        super().__init__(initial or {})
        self.sid = sid
        self.version = version
        self.expires_at = expires_at
        self.timed_out = timed_out  # this request found the previous session expired
        self.changed: set[str] = set()
        self.ending = False  # a new id at the end of this request, nothing kept
        self.keep_alive = False  # push the expiry forward even though nothing changed
        # Not the person's doing (a page polling by itself): the idle timeout runs on regardless.
        self.passive = False

    @property
    def modified(self) -> bool:
        return bool(self.changed)

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.changed.add(key)

    def __delitem__(self, key):
        super().__delitem__(key)
        self.changed.add(key)

    def pop(self, key, *default):
        if key in self:
            self.changed.add(key)
        return super().pop(key, *default)

    def popitem(self):
        key, value = super().popitem()
        self.changed.add(key)
        return key, value

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self):
        self.changed.update(self)
        super().clear()

    def end(self) -> None:
        """Ends the session: a new id, nothing kept."""
        self.clear()
        self.ending = True

    def clear_all_but_language(self) -> None:
        """Ends the session, keeping the chosen language (the staff console's sign-in and sign-out)."""
        kept = {key: self[key] for key in ("locale",) if key in self}
        self.end()
        self.update(kept)

    def with_changes_applied(self, stored: dict) -> dict:
        """What another request stored, with this request's own changes on top."""
        merged = dict(stored)
        for key in self.changed:
            if key in self:
                merged[key] = self[key]
            else:
                merged.pop(key, None)
        return merged


class ServerSessionInterface(SessionInterface):
    def __init__(self, database, surfaces: list[Surface], secure: bool):
        self.database = database
        self._load = database.hot_read(_LOAD)  # nearly every request reads its session
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
        row = self._load.first(key=key, surface=surface.name)
        if row is None:
            return ServerSession()
        data, version, expires_at = row
        if expires_at > utcnow():
            return ServerSession(data, sid=sid, version=version, expires_at=expires_at)
        with self.database.engine.begin() as db:
            db.execute(_DELETE, {"key": key})
        return ServerSession(timed_out=True)  # nothing of it is kept

    def save_session(self, app, session, response):
        if not isinstance(session, ServerSession):
            return
        surface = self.surface_for(request.path)
        now = utcnow()
        expires_at = now + surface.idle_timeout
        stored = session.sid is not None and not session.ending
        refresh = not session.passive and (
            session.keep_alive or (stored and session.expires_at - now < surface.idle_timeout - REFRESH_EVERY))
        if session.ending or (not stored and session) or (stored and (session.changed or refresh)):
            with self.database.engine.begin() as db:
                if session.ending and session.sid is not None:
                    db.execute(_DELETE, {"key": digest(session.sid)})
                    session.sid = None
                if stored and session.changed:
                    self._merge(db, session, expires_at)
                elif stored:
                    db.execute(_KEEP_ALIVE.values(expires_at=expires_at), {"key": digest(session.sid)})
                elif session:
                    session.sid = new_token()
                    db.execute(insert(WebSession).values(id=digest(session.sid), surface=surface.name,
                                                         data=dict(session), version=1, expires_at=expires_at))
                    self._set_cookie(response, surface, session.sid)
                self._purge_expired(db, now)
        if session.sid is None and request.cookies.get(surface.cookie_name):
            response.delete_cookie(surface.cookie_name, path=surface.path_prefix,
                                   secure=self.secure, samesite=surface.same_site, httponly=True)

    def _merge(self, db, session: ServerSession, expires_at) -> None:
        """Writes this request's changes over the stored data, however many requests wrote since."""
        key, data, expected = digest(session.sid), dict(session), session.version
        for _attempt in range(MERGE_ATTEMPTS):
            written = db.execute(_WRITE_IF_UNCHANGED.values(data=data, version=expected + 1, expires_at=expires_at),
                                 {"key": key, "expected": expected})
            if written.rowcount == 1:
                return
            stored = db.execute(_RELOAD, {"key": key}).first()
            if stored is None:
                return  # another request ended the session (Finish, sign-out): nothing to keep
            data, expected = session.with_changes_applied(stored.data), stored.version
        raise RuntimeError(f"session changed {MERGE_ATTEMPTS} times while one request saved it")

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
