"""The on-screen keyboards: layouts per language (layouts.py) and the tables composing layouts
load, generated at build time (pinyin.py, phonetic.py, build.py) into GENERATED."""
from __future__ import annotations

from pathlib import Path

GENERATED = Path(__file__).resolve().parent.parent / "static" / "generated"
