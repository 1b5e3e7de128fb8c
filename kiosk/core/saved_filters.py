"""Queue filters a person names and keeps: "Medical, overdue, at RBP" one click away.

A saved filter is the queue's query string, checked as strictly as an export's filters and written
back in the queue's own form, so that what is kept is exactly what the queue understands. Each
person keeps at most LIMIT; the database holds the limit (a filter takes one of its owner's numbered
slots, unique and bounded), so saves arriving together can never pass it. Saving a name again
replaces that filter's query: a double submit keeps one filter.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, casework, text
from kiosk.core.models import SavedFilter, StaffUser

LIMIT = 30  # the CHECK on saved_filters.slot (migration 0020) says the same
MAX_NAME = 60
MAX_QUERY = 1000  # a query string as typed or sent; the kept one is far shorter


def of(session: Session, owner: StaffUser) -> list[SavedFilter]:
    """A person's saved filters, by name."""
    return list(session.scalars(select(SavedFilter).where(SavedFilter.owner_id == owner.id)
                                .order_by(SavedFilter.name, SavedFilter.id)))


def _name(name: str) -> str:
    name = text.clean(name, limit=MAX_NAME, what="filter's name", one_line=True, required=True)
    # U+FFFD is what bytes that were not UTF-8 became; the rest (format and private-use characters,
    # unpaired surrogates) shows as nothing or as boxes in a list of names.
    if "\ufffd" in name or not name.isprintable():
        raise ValueError("A filter's name is letters, digits, spaces and punctuation: this one holds characters "
                         "that cannot be shown.")
    return name


def kept_query(session: Session, owner: StaffUser, raw: str) -> str:
    """The queue's query string for the filters ``raw`` asks for, or a ValueError saying what is wrong.
    A page number is not a filter, and is left out."""
    if len(raw) > MAX_QUERY:
        raise ValueError(f"These filters are longer than a queue address can be ({MAX_QUERY:,} characters).")
    try:
        pairs = [(name, value) for name, value in parse_qsl(raw, max_num_fields=20) if name != "page"]
    except ValueError:
        raise ValueError("These are more filters than the queue has.") from None
    names = [name for name, _value in pairs]
    unknown = next((name for name in names if name not in casework.FILTER_NAMES), None)
    if unknown is not None:
        raise ValueError(f"The queue has no filter called {unknown[:40]!r}.")
    if len(set(names)) != len(names):
        raise ValueError("Each filter can be given once.")
    args = dict(pairs)
    problem = casework.filter_problem(session, owner, args)
    if problem:
        raise ValueError(problem)
    query = urlencode(casework.filters_from(args).as_query())
    if not query:
        raise ValueError("Choose at least one filter to save: with none, it is the whole queue.")
    return query


def save(session: Session, owner: StaffUser, name: str, raw_query: str, *,
         remote_addr: str | None = None) -> SavedFilter:
    """Keeps the filters under this name (replacing the name's filters if it exists)."""
    name, query = _name(name), kept_query(session, owner, raw_query)
    kept = session.scalar(select(SavedFilter).where(SavedFilter.owner_id == owner.id, SavedFilter.name == name))
    if kept is None:
        kept = _insert(session, owner, name, query)
    else:
        kept.query = query
    audit.record(session, actors.staff(owner), "queue.filter_saved", remote_addr=remote_addr, name=name,
                 filters=query)
    return kept


def _free_slot(session: Session, owner: StaffUser) -> int | None:
    """The owner's lowest slot not taken, as far as this transaction can see; None when all are."""
    taken = set(session.scalars(select(SavedFilter.slot).where(SavedFilter.owner_id == owner.id)))
    return next((n for n in range(1, LIMIT + 1) if n not in taken), None)


def _insert(session: Session, owner: StaffUser, name: str, query: str) -> SavedFilter:
    slot = _free_slot(session, owner)
    if slot is None:
        raise ValueError(f"You keep {LIMIT} saved filters, the most there can be: delete one you no longer use.")
    made = SavedFilter(owner_id=owner.id, slot=slot, name=name, query=query)
    try:
        with session.begin_nested():
            session.add(made)
            session.flush()
    except IntegrityError:
        # Another save of this person's took the slot or the name between the read above and now.
        same = session.scalar(select(SavedFilter).where(SavedFilter.owner_id == owner.id, SavedFilter.name == name))
        if same is not None and same.query == query:
            return same  # the same save twice (a double click): kept once
        raise ValueError("Another of your saves arrived at the same moment, so this one was not kept: "
                         "save it again.") from None
    return made


def remove(session: Session, owner: StaffUser, filter_id: int | None, *, remote_addr: str | None = None) -> str:
    """Deletes one of the person's saved filters; returns its name. Someone else's is not found."""
    name = session.scalar(delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.owner_id == owner.id)
                          .returning(SavedFilter.name)) if filter_id else None
    if name is None:
        raise ValueError("That saved filter does not exist (any more).")
    audit.record(session, actors.staff(owner), "queue.filter_deleted", remote_addr=remote_addr, name=name)
    return name
