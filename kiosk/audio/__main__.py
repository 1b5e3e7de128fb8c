"""python -m kiosk.audio [--into DIR] [LANGUAGE...]: make the kiosk's synthetic clips (make setup).

A build step like compiling the catalogs: no database and no configuration needed. Only what is
missing is made, so it takes minutes on a fresh machine and a moment afterwards. Languages are
spoken in parallel, one espeak-ng per process (its state is global).
"""
from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kiosk.audio import cache, phrases
from kiosk.config import Config

_engine = None


def _build_one(root: Path, language: str) -> cache.BuildReport:
    global _engine
    if _engine is None:
        from kiosk.audio.speech import Espeak

        _engine = Espeak()
    return cache.build(root, _engine, language)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.audio", description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=Config.audio_dir, help="where the clips go")
    parser.add_argument("languages", nargs="*", help="kiosk language codes (default: all)")
    args = parser.parse_args(argv)
    unknown = [code for code in args.languages if code not in phrases.kiosk_languages()]
    if unknown:
        parser.error(f"not a kiosk language: {', '.join(unknown)}")
    languages = args.languages or phrases.kiosk_languages()
    with ProcessPoolExecutor(max_workers=min(len(languages), os.cpu_count() or 1)) as pool:
        reports = list(pool.map(_build_one, [args.into] * len(languages), languages))
    made = sum(r.made for r in reports)
    print(f"audio: {made} clips made, {sum(r.kept for r in reports)} kept, "
          f"{sum(r.removed for r in reports)} removed; {sum(r.bytes for r in reports) / 1e6:.1f} MB "
          f"for {len(reports)} languages in {args.into}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
