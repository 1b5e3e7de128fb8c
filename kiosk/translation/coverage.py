"""What the installed packages can translate: each language to and from English, and by what.

For the 14 Handbook languages and any other a case was written in, each direction is
covered by a package made for it, a multilingual model, two steps through English, or
not at all; a missing direction comes with where to get a model for it. Standard
library only: the administrator's page shows it without loading a model.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.core.languages import BY_CODE, LANGUAGES
from kiosk.translation import packages, routes, sources

STAFF_LANGUAGE = routes.PIVOT


@dataclass(frozen=True)
class Direction:
    source: str
    target: str
    route: routes.Route | None
    choices: list[packages.Package]  # every package that could do it in one step, for a preference
    preferred: str | None
    where_to_get: list[str]

    @property
    def summary(self) -> str:
        if self.route is None:
            return "not covered"
        return f"{' + '.join(p.label for p in self.route.packages)} ({self.route.kind})"


@dataclass(frozen=True)
class LanguageCoverage:
    code: str
    name: str
    handbook: bool
    to_english: Direction
    from_english: Direction


def _direction(code: str, source: str, target: str, installed, preferences) -> Direction:
    route = routes.route(source, target, installed, preferences)
    return Direction(source, target, route, routes.candidates(source, target, installed),
                     preferences.get(routes.pair_key(source, target)),
                     [] if route else sources.where_to_get(code, source, target))


def coverage(packages_dir: Path, other_languages: set[str] = frozenset()) -> list[LanguageCoverage]:
    """The Handbook languages in the kiosk's order, then the others cases used, by code."""
    installed, preferences = packages.installed(packages_dir), routes.preferences(packages_dir)
    codes = [language.code for language in LANGUAGES]
    codes += sorted(set(other_languages) - set(codes))
    return [LanguageCoverage(
        code, BY_CODE[code].english_name if code in BY_CODE else code, code in BY_CODE,
        _direction(code, code, STAFF_LANGUAGE, installed, preferences),
        _direction(code, STAFF_LANGUAGE, code, installed, preferences),
    ) for code in codes if code != STAFF_LANGUAGE]


def one_model_covers_the_rest(rows: list[LanguageCoverage]) -> bool:
    """Whether M2M-100 alone would cover every direction still missing (it knows every Handbook language)."""
    missing = {row.code for row in rows for d in (row.to_english, row.from_english) if d.route is None}
    return bool(missing) and missing <= set(sources.M2M100_TOKENS)
