"""One change a staff member asks for, in one transaction: saved whole, or refused saying why.

Every form of the console that changes something goes through here. The core
refuses bad input with a ValueError whose text is a sentence for the person
(NotAllowed, TextRefused, a facility's name taken ...); a unique constraint
that fails means someone made the same change a moment ago. A refused change
writes nothing. CSRFProtect has checked the form's token before the view ran.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash, g, redirect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.core import actors
from kiosk.web.db import get_session

T = TypeVar("T")
RACED = "Someone made the same change a moment ago. Nothing was saved."


def actor() -> str:
    """The signed-in staff member, as the audit log names them."""
    return actors.staff(g.staff)


def in_one_transaction(change: Callable[[Session], T]) -> tuple[T | None, str | None]:
    """(the change's result, None) once committed, or (None, why it was refused) after a rollback."""
    db = get_session()
    try:
        result = change(db)
        db.commit()
    except ValueError as refused:
        db.rollback()
        return None, str(refused)
    except IntegrityError:
        db.rollback()
        return None, RACED
    return result, None


def save(change: Callable[[Session], T], done: str | Callable[[T], str], back: str):
    """Runs the change, then goes back to ``back`` saying how it went (``done``: the sentence for
    success, or a function of the change's result giving it)."""
    result, refused = in_one_transaction(change)
    if refused is not None:
        flash(refused, "error")
    else:
        flash(done(result) if callable(done) else done)
    return redirect(back)
