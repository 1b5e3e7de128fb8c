"""Argos Translate language packages: validate, install, list, remove.

A package is a ``.argosmodel`` zip holding one top-level folder with
``metadata.json``, ``model/`` (CTranslate2) and ``sentencepiece.model`` (or
``bpe.model``). Everything is checked before anything installed is touched,
and a newer version of a pair replaces the older one by renames, so a reader
always finds a complete package.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

TOKENIZER_FILES = ("sentencepiece.model", "bpe.model")
MAX_UNPACKED = 2 * 1024**3  # an Argos model is a few hundred MB; anything bigger is not one


class PackageError(Exception):
    """What is wrong with a package, in one line for the administrator."""


@dataclass(frozen=True)
class Package:
    path: Path
    from_code: str
    to_code: str
    version: str
    name: str

    @property
    def pair(self) -> tuple[str, str]:
        return (self.from_code, self.to_code)

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def tokenizer(self) -> Path:
        return next(self.path / f for f in TOKENIZER_FILES if (self.path / f).exists())

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())


def version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("_", ".").split("."))


def _read_metadata(folder: Path) -> dict:
    try:
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PackageError(f"metadata.json is not readable JSON ({error.__class__.__name__})") from None
    if not isinstance(metadata, dict):
        raise PackageError("metadata.json is not a JSON object")
    for key in ("from_code", "to_code", "package_version"):
        value = metadata.get(key)
        if not isinstance(value, str) or not value or "/" in value or ".." in value:
            raise PackageError(f"metadata.json has no valid {key!r}")
    return metadata


def _package_at(folder: Path) -> Package:
    metadata = _read_metadata(folder)
    if not (folder / "model" / "model.bin").is_file():
        raise PackageError("model/model.bin is missing")
    if not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise PackageError("sentencepiece.model (or bpe.model) is missing")
    return Package(folder, metadata["from_code"], metadata["to_code"], metadata["package_version"],
                   f"translate-{metadata['from_code']}_{metadata['to_code']}")


def installed(packages_dir: Path) -> list[Package]:
    """Every readable package, newest version of each pair only, sorted by pair."""
    newest: dict[tuple[str, str], Package] = {}
    if packages_dir.is_dir():
        for folder in sorted(packages_dir.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                package = _package_at(folder)
            except PackageError:
                continue  # half-copied or foreign folders are not packages
            current = newest.get(package.pair)
            if current is None or version_key(package.version) > version_key(current.version):
                newest[package.pair] = package
    return sorted(newest.values(), key=lambda p: p.pair)


def _check_members(archive: zipfile.ZipFile) -> str:
    """The one top-level folder's name; refuses paths that would land outside it."""
    tops = set()
    unpacked = 0
    for member in archive.infolist():
        path = PurePosixPath(member.filename)
        if member.filename.startswith(("/", "\\")) or "\\" in member.filename or ":" in path.parts[0]:
            raise PackageError(f"unsafe path in archive: {member.filename!r}")
        if any(part == ".." for part in path.parts):
            raise PackageError(f"path escapes the package folder: {member.filename!r}")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise PackageError(f"symbolic link in archive: {member.filename!r}")
        if len(path.parts) == 1 and not member.is_dir():
            raise PackageError(f"file outside the package folder: {member.filename!r}")
        tops.add(path.parts[0])
        unpacked += member.file_size
    if len(tops) != 1:
        raise PackageError(f"expected one top-level folder, found {len(tops)}")
    if unpacked > MAX_UNPACKED:
        raise PackageError("archive unpacks to more than 2 GB")
    return tops.pop()


def _check_loads(package: Package) -> None:
    """The model and tokenizer load and translate one word: the last proof it is a package."""
    import ctranslate2
    import sentencepiece

    try:
        tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer))
        translator = ctranslate2.Translator(str(package.path / "model"), device="cpu", inter_threads=1)
        translator.translate_batch([tokenizer.encode("test", out_type=str)], max_decoding_length=4)
    except Exception as error:  # any failure to load means it is not usable
        raise PackageError(f"the model does not load: {str(error).splitlines()[0][:200]}") from None


def check_archive(archive_path: Path) -> str:
    """The checks that need no model (a zip, one folder, nothing escaping it): cheap enough
    for a web process. Returns the folder's name."""
    if not zipfile.is_zipfile(archive_path):
        raise PackageError("not a zip archive")
    try:
        with zipfile.ZipFile(archive_path) as archive:
            return _check_members(archive)
    except zipfile.BadZipFile as error:
        raise PackageError(f"damaged zip archive ({error})") from None


def unpack(archive_path: Path, scratch: Path) -> Package:
    """Validates and unpacks one archive into ``scratch``; raises PackageError with the reason."""
    if not archive_path.is_file():
        raise PackageError("no such file")
    top = check_archive(archive_path)
    try:
        with zipfile.ZipFile(archive_path) as archive:
            archive.extractall(scratch)
    except zipfile.BadZipFile as error:
        raise PackageError(f"damaged zip archive ({error})") from None
    package = _package_at(scratch / top)
    _check_loads(package)
    return package


def archives_in(paths: list[Path]) -> list[Path]:
    """Files as given; folders (a USB stick) for their .argosmodel files."""
    found = []
    for path in paths:
        found.extend(sorted(path.glob("*.argosmodel")) if path.is_dir() else [path])
    return found


def install(archive_path: Path, packages_dir: Path) -> Package:
    """Installs one package, replacing an older version of its pair; the old one goes last."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".installing-", dir=packages_dir))
    try:
        package = unpack(archive_path, scratch)
        current = next((p for p in installed(packages_dir) if p.pair == package.pair), None)
        if current is not None and version_key(current.version) >= version_key(package.version):
            raise PackageError(f"{current.label} is installed already; this is {package.version}")
        final = packages_dir / f"{package.name}-{package.version.replace('.', '_')}"
        os.replace(package.path, final)  # one rename: readers see the whole package or none
        if current is not None:
            shutil.rmtree(current.path, ignore_errors=True)
        return _package_at(final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def install_upload(upload: Path, packages_dir: Path) -> Package:
    """Installs a package an administrator uploaded (the worker's job: loading the model is
    the last check) and deletes the upload once decided, installed or refused. Any other
    error (a full disk) leaves it for the job's next attempt."""
    if not upload.is_file():
        raise PackageError("the uploaded file is not on this worker's machine: run the worker where the "
                           "web process keeps its instance folder, or use kioskctl translate install")
    try:
        package = install(upload, packages_dir)
    except PackageError:
        upload.unlink(missing_ok=True)
        raise
    upload.unlink(missing_ok=True)
    return package


def remove(packages_dir: Path, from_code: str, to_code: str) -> list[Package]:
    removed = []
    for folder in sorted(packages_dir.iterdir()) if packages_dir.is_dir() else []:
        try:
            package = _package_at(folder)
        except PackageError:
            continue
        if package.pair == (from_code, to_code):
            shutil.rmtree(package.path)
            removed.append(package)
    return removed
