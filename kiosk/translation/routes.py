"""Which installed packages translate a pair, and which one an administrator prefers.

For a pair the engine takes, in order: a package made for the pair (Argos, OPUS-MT),
then a multilingual model that knows both languages, then two steps through English
(each step found the same way). Where several packages serve one pair, the one an
administrator marked preferred wins; otherwise the first by name.

Preferences live in ``preferences.json`` beside the packages they name: they belong
to this machine's packages (installed per machine, read by its worker without a
database), and go away with the folder. Standard library only: web processes use it.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kiosk.translation.packages import Package

PIVOT = "en"
PREFERENCES_FILE = "preferences.json"

# The product's language codes as packages may spell them: Argos and OPUS-MT write Chinese as zh.
ALIASES = {"zh_Hans": ("zh",), "pt": ("pt_BR",)}


def spelled(code: str) -> tuple[str, ...]:
    return (code, *ALIASES.get(code, ()))


def token(package: Package, code: str) -> str | None:
    """A multilingual model's token for a language (``__es__``, ``spa_Latn``), if it knows it."""
    return next((package.languages[c] for c in spelled(code) if c in package.languages), None)


def serves(package: Package, source: str, target: str) -> bool:
    if package.multilingual:
        return token(package, source) is not None and token(package, target) is not None
    return package.from_code in spelled(source) and package.to_code in spelled(target)


@dataclass(frozen=True)
class Step:
    package: Package
    source: str  # the product's codes, as cases store them
    target: str


@dataclass(frozen=True)
class Route:
    steps: tuple[Step, ...]

    @property
    def kind(self) -> str:
        if len(self.steps) > 1:
            return "pivot"
        return "multilingual" if self.steps[0].package.multilingual else "direct"

    @property
    def credit(self) -> str:
        """What a stored translation records: every package, its version and its licence."""
        return " + ".join(step.package.credit for step in self.steps)

    @property
    def packages(self) -> list[Package]:
        return [step.package for step in self.steps]


def candidates(source: str, target: str, installed: list[Package]) -> list[Package]:
    """Every package that translates the pair in one step: made for it first, then multilingual."""
    found = [p for p in installed if serves(p, source, target)]
    return sorted(found, key=lambda p: (p.multilingual, p.name))


def _step(source: str, target: str, installed: list[Package], preferences: dict[str, str]) -> Step | None:
    found = candidates(source, target, installed)
    if not found:
        return None
    wanted = preferences.get(pair_key(source, target))
    return Step(next((p for p in found if p.name == wanted), found[0]), source, target)


def route(source: str, target: str, installed: list[Package], preferences: dict[str, str]) -> Route | None:
    """The packages to go through, in order, or None when there is no way."""
    step = _step(source, target, installed, preferences)
    if step is not None:
        return Route((step,))
    if PIVOT in (source, target):
        return None
    first, second = _step(source, PIVOT, installed, preferences), _step(PIVOT, target, installed, preferences)
    return Route((first, second)) if first and second else None


# --- preferences ---------------------------------------------------------------------

def pair_key(source: str, target: str) -> str:
    return f"{source}>{target}"


def preferences(packages_dir: Path) -> dict[str, str]:
    """Pair ("es>en") to the name of the preferred package; a missing or damaged file is none."""
    try:
        stored = json.loads((packages_dir / PREFERENCES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {k: v for k, v in stored.items() if isinstance(k, str) and isinstance(v, str)}


def prefer(packages_dir: Path, source: str, target: str, name: str | None) -> None:
    """Marks a package preferred for a pair (None: no preference). Written whole, then renamed,
    so a worker reading it never sees half a file."""
    chosen = preferences(packages_dir)
    if name is None:
        chosen.pop(pair_key(source, target), None)
    else:
        chosen[pair_key(source, target)] = name
    packages_dir.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=".preferences-", dir=packages_dir)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(chosen, file, indent=2, sort_keys=True)
    os.replace(scratch, packages_dir / PREFERENCES_FILE)


def product_codes(package: Package) -> set[str]:
    """The languages a package reads or writes, as cases spell them (zh also as zh_Hans)."""
    codes = package.codes
    return codes | {code for code, spellings in ALIASES.items() if codes & set(spellings)}
