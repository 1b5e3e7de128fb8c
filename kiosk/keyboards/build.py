"""Writes the keyboards' generated tables into kiosk/static/generated/ (``make keyboards``).

    python -m kiosk.keyboards.build [OUTPUT_DIR]

Needs the `assets` extra (in the lock, so ``make setup`` has it). Each table is written with a
gzipped copy beside it, which the kiosk serves to browsers that accept gzip. Output is
deterministic: the same sources give the same bytes (the file's hash is its cache key).
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from kiosk.keyboards import GENERATED, layouts, phonetic, pinyin


def write(directory: Path, name: str, content: str) -> None:
    data = content.encode("utf-8")
    (directory / name).write_bytes(data)
    (directory / f"{name}.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def main(argv: list[str]) -> int:
    directory = Path(argv[0]) if argv else GENERATED
    directory.mkdir(parents=True, exist_ok=True)
    tables = {"pinyin-dict.txt": pinyin.build()}
    for code, table in phonetic.build().items():
        tables[f"phonetic-{code}.json"] = json.dumps(table, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    assert set(tables) == layouts.tables(), "every table a layout loads is built"
    for name, content in tables.items():
        write(directory, name, content)
        print(f"{directory / name}: {len(content.encode('utf-8'))} bytes, "
              f"{(directory / (name + '.gz')).stat().st_size} gzipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
