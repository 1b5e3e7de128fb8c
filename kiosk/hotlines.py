"""Numbers to call for help right now, shown on the kiosk's emergency screen."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kiosk.models import Hotline, HotlineKind

ORDER = [kind.value for kind in HotlineKind]


def for_facility(session: Session, facility_id: int) -> list[Hotline]:
    """The facility's own numbers first, then the national ones, emergency lines on top."""
    rows = session.scalars(
        select(Hotline).where(or_(Hotline.facility_id == facility_id, Hotline.facility_id.is_(None)))
    )
    return sorted(rows, key=lambda h: (ORDER.index(h.kind) if h.kind in ORDER else len(ORDER), h.facility_id is None, h.id))
