"""ICE ERO's field offices (areas of responsibility): where a facility's cases route.

A fixed list in code, like the categories, rather than a table an administrator edits: ICE has
25 field offices and changes them about once a decade, so a new one is a release, not a form.
Stored on the facility as its code (ATL, NOL ...), a field office reads the same in the audit
log, the queue's filter, the Patterns page and, later, a referral to it; and no database needs
rows seeded before a facility can name one. The codes are those of ICE's detention statistics.
"""
from __future__ import annotations

FIELD_OFFICES: dict[str, str] = {
    "ATL": "Atlanta", "BAL": "Baltimore", "BOS": "Boston", "BUF": "Buffalo", "CHI": "Chicago",
    "DAL": "Dallas", "DEN": "Denver", "DET": "Detroit", "ELP": "El Paso", "HLG": "Harlingen",
    "HOU": "Houston", "LOS": "Los Angeles", "MIA": "Miami", "NEW": "Newark", "NOL": "New Orleans",
    "NYC": "New York City", "PHI": "Philadelphia", "PHO": "Phoenix", "SEA": "Seattle",
    "SFR": "San Francisco", "SLC": "Salt Lake City", "SNA": "San Antonio", "SND": "San Diego",
    "SPM": "St. Paul", "WAS": "Washington",
}


def label(code: str | None) -> str:
    """How staff name a field office: ERO Atlanta; a facility without one says so."""
    if not code:
        return "no field office set"
    return f"ERO {FIELD_OFFICES[code]}" if code in FIELD_OFFICES else code


def choices() -> list[tuple[str, str]]:
    """(code, label) by name, for a form's list."""
    return sorted(((code, label(code)) for code in FIELD_OFFICES), key=lambda pair: pair[1])


def known(code: str | None) -> str | None:
    """The code if it names a field office, else None (garbage in a URL is ignored, as the queue does)."""
    return code if code in FIELD_OFFICES else None
