"""Builds small but genuine OPUS-MT and multilingual (M2M-100, NLLB) packages, offline.

The same approach as tests/argos_package.py (whose spec builder this reuses): SentencePiece
trained in the run on a few built-in sentences, a CTranslate2 Transformer written from seeded
random numpy weights with CTranslate2's spec API. Outputs are nonsense but deterministic:
they depend on the input (and, for a multilingual model, on the target language's token,
which the decoder reads as its first token), never on the run.

What a converter writes (``ct2-transformers-converter ... --copy_files ...``), flat:

    converted_opus_mt():      model.bin  config.json  shared_vocabulary.json  source.spm  target.spm
    converted_multilingual(): model.bin  config.json  shared_vocabulary.json  sentencepiece.bpe.model

And the package layout (kiosk/translation/FORMAT.md), zipped with one top-level folder:

    opus-mt-vi-en-1_0/        metadata.json  model/  source.spm  target.spm
    m2m100-tiny-1_0/          metadata.json  model/  sentencepiece.model

OPUS-MT: separate source and target SentencePiece models and one shared vocabulary (special
tokens, then the target's pieces, then the source's other pieces: only target pieces are ever
produced, so target.spm decodes every output). Multilingual: one SentencePiece model; the
language tokens (``__es__``...) are appended to the vocabulary, never produced by the model
itself, only forced as the target prefix.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import sentencepiece as spm

from tests.argos_package import (
    BUILTIN_SENTENCES, SPECIALS, _make_spec, _train_sentencepiece, synthetic_sentences, zip_folder,
)

TINY = dict(layers=2, d_model=32, heads=2, ffn=64)
M2M_TOKENS = {"en": "__en__", "es": "__es__", "fr": "__fr__", "ht": "__ht__", "vi": "__vi__", "pa": "__pa__"}
NLLB_TOKENS = {"en": "eng_Latn", "es": "spa_Latn", "fr": "fra_Latn", "ht": "hat_Latn"}

# Sentences for each side of an OPUS-MT model: the source's own language, English as target.
VIETNAMESE = ["Tôi cần gặp bác sĩ, ngực tôi đau.", "Số hồ sơ của tôi là 26-1234-5678.",
              "Thức ăn lạnh và không có nước sạch.", "Tôi muốn nói chuyện với luật sư, làm ơn."]
ENGLISH = [s for s in BUILTIN_SENTENCES if s.isascii()]


def _pieces(model: bytes) -> list[str]:
    sp = spm.SentencePieceProcessor(model_proto=model)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


def _save_model(target: Path, vocabulary: list[str], real_size: int, *, seed: int, eos_bias: float,
                quantization: str | None, layers: int, d_model: int, heads: int, ffn: int) -> None:
    spec = _make_spec(vocabulary, real_size, layers=layers, d_model=d_model, heads=heads, ffn=ffn,
                      seed=seed, eos_bias=eos_bias)
    spec.validate()
    spec.optimize(quantization=quantization)
    target.mkdir(parents=True, exist_ok=True)
    spec.save(str(target))


def converted_opus_mt(target: Path, *, source_sentences: list[str] | None = None, vocab_size: int = 64,
                      seed: int = 0, eos_bias: float = 4.0, quantization: str | None = None,
                      **shape) -> Path:
    """An OPUS-MT model as ct2-opus-mt-converter leaves it, plus its two SentencePiece models."""
    source_model = _train_sentencepiece(source_sentences or VIETNAMESE + BUILTIN_SENTENCES[:5], vocab_size, seed)
    target_model = _train_sentencepiece(ENGLISH, vocab_size, seed + 1)
    target_pieces = _pieces(target_model)
    assert tuple(target_pieces[:len(SPECIALS)]) == SPECIALS
    source_only = [p for p in _pieces(source_model) if p not in set(target_pieces)]
    _save_model(target, target_pieces + source_only, len(target_pieces), seed=seed, eos_bias=eos_bias,
                quantization=quantization, **{**TINY, **shape})
    (target / "source.spm").write_bytes(source_model)
    (target / "target.spm").write_bytes(target_model)
    return target


def converted_multilingual(target: Path, tokens: dict[str, str], *, vocab_size: int = 96,
                           extra_vocab_to: int | None = None, seed: int = 0, eos_bias: float = 4.0,
                           quantization: str | None = None, sentences: list[str] | None = None,
                           **shape) -> Path:
    """An M2M-100 / NLLB-like model as ct2-transformers-converter leaves it, with
    sentencepiece.bpe.model copied beside it (--copy_files sentencepiece.bpe.model)."""
    if sentences is None:
        sentences = list(BUILTIN_SENTENCES) + (synthetic_sentences(max(2000, vocab_size), seed)
                                               if vocab_size > 150 else [])
    model = _train_sentencepiece(sentences, vocab_size, seed)
    vocabulary = _pieces(model)
    real_size = len(vocabulary)
    vocabulary += [t for t in dict.fromkeys(tokens.values()) if t not in vocabulary]
    if extra_vocab_to is not None:
        vocabulary += [f"<dummy_{i}>" for i in range(len(vocabulary), extra_vocab_to)]
    _save_model(target, vocabulary, real_size, seed=seed, eos_bias=eos_bias, quantization=quantization,
                **{**TINY, **shape})
    (target / "sentencepiece.bpe.model").write_bytes(model)
    return target


def _package(workdir: Path, name: str, version: str, metadata: dict, build) -> Path:
    """Builds the package folder {name}-{version_} in workdir and zips it beside it."""
    folder = workdir / f"{name}-{version.replace('.', '_')}"
    archive = workdir / f"{folder.name}.argosmodel"
    if folder.exists() or archive.exists():
        raise FileExistsError(f"{folder} or {archive} already exists")
    build(folder / "model")
    for tokenizer in ("source.spm", "target.spm"):
        if (folder / "model" / tokenizer).exists():
            shutil.move(folder / "model" / tokenizer, folder / tokenizer)
    if (folder / "model" / "sentencepiece.bpe.model").exists():
        shutil.move(folder / "model" / "sentencepiece.bpe.model", folder / "sentencepiece.model")
    (folder / "metadata.json").write_text(json.dumps({"package_version": version, **metadata}, indent=2),
                                          encoding="utf-8")
    return zip_folder(folder, archive)


def opus_mt_package(workdir: Path, from_code: str = "vi", to_code: str = "en", *, version: str = "1.0",
                    **model_options) -> Path:
    """An OPUS-MT package (.argosmodel zip) for one pair."""
    metadata = {"model_family": "opus-mt", "from_code": from_code, "to_code": to_code, "license": "apache-2.0",
                "source": f"https://huggingface.co/Helsinki-NLP/opus-mt-{from_code}-{to_code}"}
    return _package(Path(workdir), f"opus-mt-{from_code}-{to_code}", version, metadata,
                    lambda target: converted_opus_mt(target, **model_options))


def multilingual_package(workdir: Path, name: str = "m2m100-tiny", *, family: str = "m2m100",
                         tokens: dict[str, str] | None = None, version: str = "1.0", license: str = "MIT",
                         **model_options) -> Path:
    """A multilingual package (.argosmodel zip) serving every pair of ``tokens``' languages."""
    tokens = tokens or (NLLB_TOKENS if family == "nllb" else M2M_TOKENS)
    metadata = {"model_family": family, "name": name, "languages": tokens, "license": license,
                "source": "https://huggingface.co/facebook/m2m100_418M"}
    return _package(Path(workdir), name, version, metadata,
                    lambda target: converted_multilingual(target, tokens, **model_options))
