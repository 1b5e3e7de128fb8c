"""pyproject.toml and requirements.lock agree: what CI installs is what pyproject.toml declares.

Offline: reads the two files, nothing else. `make lock` (network) rewrites the lock.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
FIX = "run `make lock` and commit pyproject.toml with requirements.lock"

_spec = importlib.util.spec_from_file_location("kiosk_lock_tool", ROOT / "tools" / "lock.py")
lock_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock_tool)

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}\b")


def lock_entries(text: str) -> list[str]:
    """The lock's requirements, one string each (continuation lines joined, comments dropped)."""
    entries, current = [], ""
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        current += " " + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            entries.append(current.strip())
            current = ""
    if current:
        entries.append(current.strip())
    return entries


def pins(text: str) -> dict[str, Version]:
    result = {}
    for entry in lock_entries(text):
        match = PIN.match(entry)
        if match:
            result[canonicalize_name(match["name"])] = Version(match["version"])
    return result


def recorded_digest(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith(lock_tool.DIGEST_PREFIX):
            return line[len(lock_tool.DIGEST_PREFIX):].strip()
    return None


def problems(pyproject: Path, lock_text: str) -> list[str]:
    """Everything that makes the lock disagree with pyproject.toml, worded for a person."""
    found = []
    if recorded_digest(lock_text) != lock_tool.digest(pyproject):
        found.append("requirements.lock was not made from this pyproject.toml's requirements "
                     "(its pyproject-digest line differs)")
    pinned = pins(lock_text)
    for group, requirements in lock_tool.declared(pyproject).items():
        for line in requirements:
            requirement = Requirement(line)
            version = pinned.get(canonicalize_name(requirement.name))
            if version is None:
                found.append(f"{requirement.name} ({group}) is not pinned in requirements.lock")
            elif not requirement.specifier.contains(version, prereleases=True):
                found.append(f"requirements.lock pins {requirement.name}=={version}, "
                             f"outside {requirement.specifier} declared in pyproject.toml ({group})")
    for entry in lock_entries(lock_text):
        if not PIN.match(entry):
            found.append(f"requirements.lock has an entry that is not name==version: {entry[:80]}")
        elif not HASH.search(entry):
            found.append(f"requirements.lock pins {entry.split()[0]} without a hash")
    return found


def test_the_lock_agrees_with_pyproject():
    found = problems(ROOT / "pyproject.toml", LOCK.read_text(encoding="utf-8"))
    assert not found, "\n".join(found + [FIX])


# The guard itself: each kind of disagreement is caught.

def _edited_pyproject(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "pyproject.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_changed_range_is_caught(tmp_path):
    pyproject = _edited_pyproject(tmp_path, '"flask>=', '"flask>=99.0,<100", "unused>=')
    found = problems(pyproject, LOCK.read_text(encoding="utf-8"))
    assert any("pyproject-digest" in problem for problem in found)
    assert any(problem.startswith("requirements.lock pins flask==") and ">=99.0" in problem for problem in found)
    assert any(problem.startswith("unused (dependencies) is not pinned") for problem in found)


def test_a_new_test_dependency_is_caught(tmp_path):
    pyproject = _edited_pyproject(tmp_path, 'test = [\n', 'test = [\n    "pytest-xdist>=3",\n')
    found = problems(pyproject, LOCK.read_text(encoding="utf-8"))
    assert any("pyproject-digest" in problem for problem in found)
    assert any(problem.startswith("pytest-xdist (test) is not pinned") for problem in found)


def test_a_pin_without_hash_is_caught():
    text = LOCK.read_text(encoding="utf-8") + "extra-thing==1.0\n    # via nothing\n"
    assert "requirements.lock pins extra-thing==1.0 without a hash" in problems(ROOT / "pyproject.toml", text)


@pytest.mark.parametrize("line", ["-e .", "something>=1 \\\n    --hash=sha256:" + "0" * 64])
def test_an_entry_that_is_not_an_exact_pin_is_caught(line):
    text = LOCK.read_text(encoding="utf-8") + line + "\n"
    assert any("not name==version" in problem for problem in problems(ROOT / "pyproject.toml", text))
