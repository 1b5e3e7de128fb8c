"""Language packages of every model family: validate, install, list, remove.

A package is a zip (``.argosmodel``) holding one top-level folder with
``metadata.json`` and ``model/`` (CTranslate2). Its ``model_family`` says how
its text is cut into tokens (kiosk/translation/FORMAT.md): an Argos package, as
Argos Translate publishes it, needs no new field. Everything is checked before
anything installed is touched, and a newer version of a package replaces the
older one by renames, so a reader always finds a complete package.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

ARGOS, OPUS_MT, M2M100, NLLB = "argos", "opus-mt", "m2m100", "nllb"
FAMILIES = (ARGOS, OPUS_MT, M2M100, NLLB)
MULTILINGUAL = (M2M100, NLLB)  # one model, many pairs, language tokens
TOKENIZER_FILES = ("sentencepiece.model", "bpe.model")  # Argos, and the multilingual families
OPUS_TOKENIZERS = ("source.spm", "target.spm")
MAX_UNPACKED = 2 * 1024**3  # an M2M-100 418M int8 package is ~0.5 GB; anything bigger is not one
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,59}")
CODE = re.compile(r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})?")  # es, zh_Hans, pt-BR
VOCABULARIES = ("shared_vocabulary", "source_vocabulary", "target_vocabulary")


class PackageError(Exception):
    """What is wrong with a package, in one line for the administrator."""


@dataclass(frozen=True)
class Package:
    path: Path
    from_code: str | None  # None for a multilingual package
    to_code: str | None
    version: str
    name: str
    family: str = ARGOS
    languages: dict[str, str] = field(default_factory=dict)  # multilingual: code -> model token
    license: str | None = None
    source: str | None = None

    @property
    def multilingual(self) -> bool:
        return self.family in MULTILINGUAL

    @property
    def pair(self) -> tuple[str, str] | None:
        return None if self.multilingual else (self.from_code, self.to_code)

    @property
    def codes(self) -> set[str]:
        """Every language this package reads or writes."""
        return set(self.languages) if self.multilingual else {self.from_code, self.to_code}

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def credit(self) -> str:
        """What a stored translation records: the package, its version and its licence."""
        return f"{self.label} ({self.license})" if self.license else self.label

    @property
    def covers(self) -> str:
        return ", ".join(sorted(self.languages)) if self.multilingual else f"{self.from_code} -> {self.to_code}"

    @property
    def tokenizer(self) -> Path:
        """The source side's SentencePiece model."""
        if self.family == OPUS_MT:
            return self.path / "source.spm"
        return next(self.path / f for f in TOKENIZER_FILES if (self.path / f).exists())

    @property
    def target_tokenizer(self) -> Path:
        return self.path / "target.spm" if self.family == OPUS_MT else self.tokenizer

    def size(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())


def version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in version.replace("_", ".").split("."))


def _text(metadata: dict, key: str, *, required: bool, pattern: re.Pattern | None = None,
          limit: int = 200) -> str | None:
    value = metadata.get(key)
    if value is None and not required:
        return None
    if (not isinstance(value, str) or not value.strip() or len(value) > limit
            or (pattern is not None and not pattern.fullmatch(value))):
        raise PackageError(f"metadata.json has no valid {key!r}")
    return value


def _read_metadata(folder: Path) -> dict:
    try:
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PackageError(f"metadata.json is not readable JSON ({error.__class__.__name__})") from None
    if not isinstance(metadata, dict):
        raise PackageError("metadata.json is not a JSON object")
    family = metadata.get("model_family", ARGOS)
    if family not in FAMILIES:
        raise PackageError(f"metadata.json names an unknown model_family {str(family)[:40]!r}"
                           f" (known: {', '.join(FAMILIES)})")
    for key in ("from_code", "to_code", "package_version") if family not in MULTILINGUAL else ("package_version",):
        value = metadata.get(key)
        if not isinstance(value, str) or not value or "/" in value or ".." in value or len(value) > 40:
            raise PackageError(f"metadata.json has no valid {key!r}")
    return metadata


def _languages(metadata: dict) -> dict[str, str]:
    """A multilingual package's ``languages``: each code with the token the model knows it by."""
    languages = metadata.get("languages")
    if not isinstance(languages, dict) or len(languages) < 2:
        raise PackageError("metadata.json must list 'languages' (at least two) with their model tokens")
    for code, token in languages.items():
        if not CODE.fullmatch(code):
            raise PackageError(f"metadata.json lists a language code that is not one: {code[:20]!r}")
        if not isinstance(token, str) or not token.strip() or len(token) > 40:
            raise PackageError(f"metadata.json gives language {code!r} no model token")
    return dict(languages)


def _package_at(folder: Path) -> Package:
    """The package in a folder, from its metadata and the files its family needs (cheap: no model read)."""
    metadata = _read_metadata(folder)
    family = metadata.get("model_family", ARGOS)
    if not (folder / "model" / "model.bin").is_file():
        raise PackageError("model/model.bin is missing")
    if family == OPUS_MT:
        for tokenizer in OPUS_TOKENIZERS:
            if not (folder / tokenizer).is_file():
                raise PackageError(f"{tokenizer} is missing (an OPUS-MT package has source.spm and target.spm)")
    elif not any((folder / f).is_file() for f in TOKENIZER_FILES):
        raise PackageError("sentencepiece.model (or bpe.model) is missing")
    version = metadata["package_version"]
    if family == ARGOS:  # named as Argos Translate names it, whatever else metadata.json says
        return Package(folder, metadata["from_code"], metadata["to_code"], version,
                       f"translate-{metadata['from_code']}_{metadata['to_code']}",
                       license=_text(metadata, "license", required=False, limit=40),
                       source=_text(metadata, "source", required=False))
    license_ = _text(metadata, "license", required=True, limit=40)
    source = _text(metadata, "source", required=False, limit=500)
    if family == OPUS_MT:
        name = _text(metadata, "name", required=False, pattern=NAME) or \
            f"opus-mt-{metadata['from_code']}-{metadata['to_code']}"
        return Package(folder, metadata["from_code"], metadata["to_code"], version, name, family,
                       license=license_, source=source)
    return Package(folder, None, None, version, _text(metadata, "name", required=True, pattern=NAME), family,
                   languages=_languages(metadata), license=license_, source=source)


def installed(packages_dir: Path) -> list[Package]:
    """Every readable package, newest version of each name only, sorted by name."""
    newest: dict[str, Package] = {}
    if packages_dir.is_dir():
        for folder in sorted(packages_dir.iterdir()):
            if not folder.is_dir() or folder.name.startswith("."):
                continue
            try:
                package = _package_at(folder)
            except PackageError:
                continue  # half-copied or foreign folders are not packages
            current = newest.get(package.name)
            if current is None or version_key(package.version) > version_key(current.version):
                newest[package.name] = package
    return sorted(newest.values(), key=lambda p: (p.pair or ("~",), p.name))


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


def model_vocabulary(model_dir: Path) -> tuple[set[str], set[str]]:
    """A converted model's source and target vocabularies, as CTranslate2's converters write them."""
    def read(stem: str) -> set[str] | None:
        for path in (model_dir / f"{stem}.json", model_dir / f"{stem}.txt"):
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                return set(json.loads(text) if path.suffix == ".json" else text.splitlines())
        return None
    try:
        shared = read("shared_vocabulary")
        source, target = (shared, shared) if shared is not None else (read("source_vocabulary"),
                                                                       read("target_vocabulary"))
    except (OSError, ValueError, TypeError):
        raise PackageError("the model's vocabulary file is not readable") from None
    if source is None or target is None:
        raise PackageError("the model has no vocabulary file (shared_vocabulary.json)")
    return source, target


def _check_loads(package: Package) -> None:
    """Language tokens are in the vocabulary, and the model and tokenizers load and translate
    one word the way the engine will: the last proof it is a package."""
    if package.multilingual:
        source, target = model_vocabulary(package.path / "model")
        for code, token in sorted(package.languages.items()):
            if token not in source or token not in target:
                raise PackageError(f"the token {token!r} of language {code!r} is not in the model's vocabulary")
    from kiosk.translation.engine import LoadedModel

    codes = sorted(package.codes)
    try:
        LoadedModel(package, threads=1, compute_type="default").translate(
            [("test", codes[0], codes[-1])], beam_size=1, max_decoding_length=4)
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
    """Installs one package, replacing an older version of the same name; the old one goes last."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".installing-", dir=packages_dir))
    try:
        package = unpack(archive_path, scratch)
        current = next((p for p in installed(packages_dir) if p.name == package.name), None)
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


def _remove_where(packages_dir: Path, chosen) -> list[Package]:
    removed = []
    for folder in sorted(packages_dir.iterdir()) if packages_dir.is_dir() else []:
        try:
            package = _package_at(folder)
        except PackageError:
            continue
        if chosen(package):
            shutil.rmtree(package.path)
            removed.append(package)
    return removed


def remove(packages_dir: Path, from_code: str, to_code: str) -> list[Package]:
    """Every package of one language pair (Argos or OPUS-MT), all versions."""
    return _remove_where(packages_dir, lambda package: package.pair == (from_code, to_code))


def remove_named(packages_dir: Path, name: str) -> list[Package]:
    """A package of any family by its name (``translate-es_en``, ``m2m100_418M``) or its folder's."""
    return _remove_where(packages_dir, lambda package: name in (package.name, package.path.name))


# --- building a package from a converted model ------------------------------------------

MODEL_FILES = ("model.bin", "config.json", *(f"{stem}.{ext}" for stem in VOCABULARIES for ext in ("json", "txt")))
# Where a converter's output keeps the SentencePiece model of each kind of package.
TOKENIZER_SOURCES = {OPUS_MT: {"source.spm": ("source.spm",), "target.spm": ("target.spm",)},
                     M2M100: {"sentencepiece.model": ("sentencepiece.bpe.model", "sentencepiece.model", "spm.model")},
                     NLLB: {"sentencepiece.model": ("sentencepiece.bpe.model", "sentencepiece.model")},
                     ARGOS: {"sentencepiece.model": ("sentencepiece.model", "bpe.model")}}


def pack(converted: Path, out_dir: Path, metadata: dict) -> tuple[Path, Package]:
    """Zips a CTranslate2 converter's output folder as a package, then checks the zip exactly
    as installing it would (``unpack``). Returns the archive and the package it holds; a
    refused one is deleted and PackageError says why."""
    family = metadata.get("model_family", ARGOS)
    if not (converted / "model.bin").is_file():
        raise PackageError(f"{converted} has no model.bin: give the folder ct2-transformers-converter wrote")
    name = metadata.get("name") or (f"opus-mt-{metadata.get('from_code')}-{metadata.get('to_code')}"
                                    if family == OPUS_MT else f"translate-{metadata.get('from_code')}_{metadata.get('to_code')}")
    if not NAME.fullmatch(str(name)) or not NAME.fullmatch(str(metadata.get("package_version", ""))):
        raise PackageError("the package needs a name and a version of letters, digits, '.', '_' or '-'")
    top = f"{name}-{metadata['package_version'].replace('.', '_')}"
    archive = out_dir / f"{top}.argosmodel"
    if archive.exists():
        raise PackageError(f"{archive} exists already")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".packing-", dir=out_dir) as scratch:
        folder = Path(scratch) / top
        (folder / "model").mkdir(parents=True)
        for file in MODEL_FILES:
            if (converted / file).is_file():
                shutil.copyfile(converted / file, folder / "model" / file)
        for wanted, candidates in TOKENIZER_SOURCES.get(family, {}).items():
            found = next((converted / c for c in candidates if (converted / c).is_file()), None)
            if found is None:
                raise PackageError(f"{converted} has no {' or '.join(candidates)}"
                                   " (copy it there, or pass --copy_files to the converter)")
            shutil.copyfile(found, folder / wanted)
        (folder / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        try:
            with zipfile.ZipFile(archive, "w") as bundle:
                for path in sorted([folder, *folder.rglob("*")]):
                    bundle.write(path, path.relative_to(folder.parent).as_posix(), compress_type=(
                        zipfile.ZIP_STORED if path.name == "model.bin" else zipfile.ZIP_DEFLATED))
        except BaseException:
            archive.unlink(missing_ok=True)  # never half a package
            raise
    try:
        with tempfile.TemporaryDirectory(prefix=".checking-", dir=out_dir) as scratch:
            package = unpack(archive, Path(scratch))
            return archive, replace(package, path=archive)
    except PackageError:
        archive.unlink(missing_ok=True)
        raise
