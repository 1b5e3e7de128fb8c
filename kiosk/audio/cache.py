"""The synthetic clips on disk, named by what they say: text, voice and engine version.

`build` makes only what is missing (a catalog change re-speaks the changed phrases alone), writes
each clip and then each language's index atomically, and removes clips nothing refers to. The
kiosk serves these files with a year's cache lifetime: a clip's name changes when its sound does.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk.audio import opus, phrases
from kiosk.audio.speech import Engine


@dataclass
class BuildReport:
    language: str
    made: int = 0
    kept: int = 0
    removed: int = 0
    bytes: int = 0
    seconds: float = 0.0


def clip_name(engine: Engine, language: str, text: str) -> str:
    content = "\0".join((engine.name, engine.voice(language) or "", text))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:24] + ".opus"


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def index_path(root: Path, language: str) -> Path:
    return root / f"{language}.json"


def read_index(root: Path, language: str) -> dict[str, str]:
    """Phrase key -> clip file name, as the last build left it (empty when never built)."""
    try:
        return json.loads(index_path(root, language).read_text(encoding="utf-8"))["phrases"]
    except (OSError, ValueError, KeyError):
        return {}


def build(root: Path, engine: Engine, language: str) -> BuildReport:
    started = time.perf_counter()
    report = BuildReport(language)
    folder = root / language
    folder.mkdir(parents=True, exist_ok=True)
    index = {}
    for phrase in phrases.phrases(language):
        name = clip_name(engine, language, phrase.text)
        path = folder / name
        if path.exists():
            report.kept += 1
        else:
            _write_atomically(path, opus.encode(engine.speak(phrase.text, language)).data)
            report.made += 1
        index[phrase.key] = name
    wanted = set(index.values())
    for stale in folder.glob("*.opus"):
        if stale.name not in wanted:
            stale.unlink()
            report.removed += 1
    report.bytes = sum((folder / name).stat().st_size for name in wanted)
    _write_atomically(index_path(root, language),
                      json.dumps({"engine": engine.name, "phrases": index}, sort_keys=True).encode("utf-8"))
    report.seconds = time.perf_counter() - started
    return report
