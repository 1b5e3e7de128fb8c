"""Writes requirements.lock from pyproject.toml with uv (`make lock`, `make test-lowest`).

    python3 tools/lock.py lock [UV ARGS...]     requirements.lock: what `make run` and `make test` install
    python3 tools/lock.py lowest OUT            the lowest version of each direct dependency (test-lowest)
    python3 tools/lock.py digest                the digest of pyproject.toml's requirements

The lock holds pyproject.toml's runtime dependencies, the `test` and `assets` extras and the build
backend (`build-system.requires`, so the editable install of our own package needs
nothing from outside the lock), every one pinned with its hashes, resolved from PyPI for
CPython 3.11 on Linux x86_64 whatever machine runs this. Its first line records a digest
of those requirements: tests/test_dependencies.py recomputes it and fails when
pyproject.toml changed without `make lock`. Standard library only; needs a network.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
DIGEST_PREFIX = "# pyproject-digest: sha256:"

# What the lock is for: CI's and every developer's machine (Debian, CPython 3.11, x86_64).
TARGET = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]
# PyPI alone, whatever uv.toml or UV_* variables a machine has: the same lock everywhere.
SOURCE = ["--no-config", "--index-url", "https://pypi.org/simple"]


def declared(pyproject: Path = PYPROJECT) -> dict[str, list[str]]:
    """The requirements the lock must satisfy, as pyproject.toml spells them."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return {
        "dependencies": list(data["project"]["dependencies"]),
        "test": list(data["project"]["optional-dependencies"]["test"]),
        "assets": list(data["project"]["optional-dependencies"]["assets"]),
        "build-system": list(data["build-system"]["requires"]),
    }


def digest(pyproject: Path = PYPROJECT) -> str:
    canonical = json.dumps(declared(pyproject), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _compile(output: Path, extra_args: list[str]) -> None:
    uv = os.environ.get("UV", "uv")
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build-system.txt"
        build.write_text("\n".join(declared()["build-system"]) + "\n", encoding="utf-8")
        command = [uv, "pip", "compile", "pyproject.toml", str(build), "--extra", "test", "--extra", "assets",
                   "--generate-hashes", *TARGET, *SOURCE, "--quiet", "--output-file", str(output),
                   *extra_args]
        subprocess.run(command, cwd=ROOT, check=True)
        text = output.read_text(encoding="utf-8").replace(f"-r {build}", "pyproject.toml (build-system)")
    output.write_text(text, encoding="utf-8")


def lock(extra_args: list[str]) -> None:
    # An existing lock is a preference: only what the new ranges exclude moves
    # (pass --upgrade or --upgrade-package NAME to move more).
    _compile(LOCK, ["--custom-compile-command", "make lock", *extra_args])
    header = (f"{DIGEST_PREFIX}{digest()}\n"
              "# (pyproject.toml's dependencies, test and assets extras and build-system.requires; "
              "tests/test_dependencies.py checks it)\n")
    LOCK.write_text(header + LOCK.read_text(encoding="utf-8"), encoding="utf-8")


def lowest(output: Path) -> None:
    _compile(output, ["--resolution", "lowest-direct", "--custom-compile-command", "make test-lowest"])


def main(argv: list[str]) -> int:
    if argv[:1] == ["lock"]:
        lock(argv[1:])
    elif argv[:1] == ["lowest"] and len(argv) == 2:
        lowest(Path(argv[1]).resolve())
    elif argv == ["digest"]:
        print(digest())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
