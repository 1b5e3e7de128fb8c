"""The queue's saved filters: save the filters in force under a name, delete one (applying one is
a link to the queue with its query, kiosk/core/saved_filters.py keeps them)."""
from __future__ import annotations

from flask import g, request, url_for

from kiosk.core import saved_filters
from kiosk.staff import blueprint
from kiosk.staff.changes import save
from kiosk.web.db import get_session


def _queue_with(raw_query: str) -> str:
    """The queue with the filters a form carried, when they are filters the queue knows."""
    try:
        query = saved_filters.kept_query(get_session(), g.staff, raw_query)
    except ValueError:
        return url_for("staff.queue")
    return f"{url_for('staff.queue')}?{query}"


@blueprint.post("/filters")
def save_filter():
    raw = request.form.get("query", "")
    return save(lambda db: saved_filters.save(db, g.staff, request.form.get("name", ""), raw,
                                              remote_addr=request.remote_addr),
                lambda made: f"Filter “{made.name}” saved: it is in the bar above the queue.", _queue_with(raw))


@blueprint.post("/filters/<id:filter_id>/delete")
def delete_filter(filter_id: int):
    return save(lambda db: saved_filters.remove(db, g.staff, filter_id, remote_addr=request.remote_addr),
                lambda name: f"Filter “{name}” deleted.", _queue_with(request.form.get("query", "")))
