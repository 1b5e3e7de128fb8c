"""Builds small but genuine Argos Translate packages for tests and benchmarks, offline.

Nothing is downloaded: a SentencePiece model is trained on a few built-in sentences (or on
synthetic ones for big vocabularies) and a CTranslate2 Transformer is written from seeded
random numpy weights through CTranslate2's spec API. The result loads with
``ctranslate2.Translator`` + ``sentencepiece`` exactly like a real Argos model, but its
"translations" are nonsense: a few pieces chosen by random weights, which depend on the
input and are fully deterministic.

Layout written by :func:`build_package` (the official ``.argosmodel`` layout)::

    translate-es_en-1_0/
        metadata.json
        README.md
        sentencepiece.model
        model/              config.json, model.bin, shared_vocabulary.json

Outputs are short: the decoder's residual stream keeps one dimension (0) as a clock — the
position encodings put ``position - 2`` there and nothing else ever writes to it — and the
output projection's ``</s>`` row reads only that dimension, plus a bias of ``eos_bias``. So
``</s>`` is unlikely at the first step and wins after a few: with the defaults, outputs are
2-8 pieces, mostly 3-6 (single characters in the tiny model), never seen empty, and differ
from one input to another. A larger ``eos_bias`` gives shorter outputs (8: mostly 1 piece);
``eos_bias=-1e4`` never stops before ``max_decoding_length`` (to benchmark full-length
decoding). ``<unk>``, ``<s>``, ``<blank>`` and the dummy tokens of ``extra_vocab_to`` are
never produced (bias -1e4), so every output decodes cleanly with SentencePiece.

Batch invariance (greedy decoding, CTranslate2 4.8.5, AVX2 CPU): with float32 computation a
sentence translated in a batch gives the same pieces as alone. With int8 computation
(``compute_type="default"`` on an int8 model) padding a sentence in a batch with a longer one
shifts its log-probabilities by up to ~0.06, which flips near-ties: ~3-6 % of the outputs of
the Argos-sized model differ. ``compute_type="float32"`` loads int8 weights as float32 and is
invariant.
"""
from __future__ import annotations

import io
import itertools
import json
import random
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import sentencepiece as spm
from ctranslate2.specs import transformer_spec

__all__ = ["BUILTIN_SENTENCES", "build_model_dir", "build_package", "synthetic_sentences", "zip_folder"]

# Special tokens, at the same ids in SentencePiece and in the CTranslate2 vocabulary.
UNK, BOS, EOS, PAD = "<unk>", "<s>", "</s>", "<blank>"
SPECIALS = (UNK, BOS, EOS, PAD)

BUILTIN_SENTENCES: list[str] = [
    "Necesito ver a un médico, me duele el pecho.",
    "Mi número de caso es 26-1234-5678.",
    "La comida está fría y no hay agua limpia.",
    "Un guardia me empujó ayer en la unidad B-2.",
    "Quiero hablar con mi abogado, por favor.",
    "I need to see a doctor, my chest hurts.",
    "My case number is 26-1234-5678.",
    "The food is cold and there is no clean water.",
    "A guard pushed me yesterday in unit B-2.",
    "I want to speak with my lawyer, please.",
    "J'ai besoin de voir un médecin, j'ai mal à la poitrine.",
    "Mon numéro de dossier est le 26-1234-5678.",
    "La nourriture est froide et il n'y a pas d'eau propre.",
    "Je veux parler à mon avocat, s'il vous plaît.",
    "Mwen bezwen wè yon doktè, pwatrin mwen fè m mal.",
    "Nimewo dosye mwen se 26-1234-5678.",
    "Manje a frèt e pa gen dlo pwòp.",
    "Mwen vle pale ak avoka mwen, tanpri.",
    "أحتاج إلى رؤية طبيب، صدري يؤلمني.",
    "رقم قضيتي هو 26-1234-5678.",
    "الطعام بارد ولا يوجد ماء نظيف.",
    "أريد التحدث مع محاميي من فضلك.",
    "Hace tres días que pedí una cita 0-9.",
    "It has been 3 days since I asked for an appointment.",
]

# English names for the codes a test is likely to use; anything else falls back to the code.
LANGUAGE_NAMES = {
    "ar": "Arabic", "en": "English", "es": "Spanish", "fr": "French", "ht": "Haitian Creole",
    "pt": "Portuguese", "ru": "Russian", "zh": "Chinese", "hi": "Hindi", "vi": "Vietnamese",
}

# Shape of the random model. The constants were tuned (see the module docstring) on the
# default 2-layer, ~90-piece model; _make_spec rescales them for other depths and sizes.
_MAX_DECODER_POSITIONS = 5000  # rows of the decoder's position encodings, as OpenNMT-py's
_CLOCK_START = 2.0  # the decoder's clock dimension holds position - _CLOCK_START
_CLOCK_WEIGHT = 3.0  # weight of the (layer-normalised) clock in the </s> logit
_CROSS_GAIN = 3.0  # cross-attention output gain: outputs depend on the input...
_QK_GAIN = 3.0  # ...and cross-attention queries/keys gain: sharp, token-specific attention
_LOGIT_GAIN = 2.0  # spread of the other logits, so that the choice of piece varies
_NEVER = -1e4  # output bias of tokens that must never be produced
_BUILTIN_CAPACITY = 150  # SentencePiece sizes above this also train on synthetic sentences


def synthetic_sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` sentences of made-up words (random syllables, Zipf-like word frequencies),
    with a case number such as 26-1234-5678 now and then; enough text to train a
    SentencePiece model of several thousand pieces."""
    rng = random.Random(seed)
    onsets = ["", "b", "ch", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
              "br", "tr", "pl", "gr", "sh", "th", "ny"]
    nuclei = ["a", "e", "i", "o", "u", "ai", "ou", "é", "è", "an", "on", "ye"]
    codas = ["", "", "", "n", "s", "r", "l", "k", "m"]
    lexicon = [
        "".join(rng.choice(onsets) + rng.choice(nuclei) + rng.choice(codas)
                for _ in range(rng.randint(1, 4)))
        for _ in range(max(200, count * 2))
    ]
    cum_weights = list(itertools.accumulate(1.0 / rank for rank in range(1, len(lexicon) + 1)))
    sentences = []
    for _ in range(count):
        words = rng.choices(lexicon, cum_weights=cum_weights, k=rng.randint(4, 14))
        if rng.random() < 0.1:
            at = rng.randrange(len(words))
            parts = (rng.randint(10, 99), rng.randint(1000, 9999), rng.randint(1000, 9999))
            words.insert(at, "-".join(map(str, parts)))
        sentence = " ".join(words)
        sentences.append(sentence[0].upper() + sentence[1:] + rng.choice(".?!,"))
    return sentences


def _min_vocab_size(sentences: Iterable[str]) -> int:
    """SentencePiece with character_coverage=1.0 needs a piece per character, plus specials."""
    chars = {c for s in sentences for c in unicodedata.normalize("NFKC", "".join(s.split()))}
    return len(chars) + 1 + len(SPECIALS)  # +1 for the word-boundary piece "▁"


def _train_sentencepiece(sentences: list[str], vocab_size: int, seed: int) -> bytes:
    model = io.BytesIO()
    spm.set_random_generator_seed(seed)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        vocab_size=max(vocab_size, _min_vocab_size(sentences)),
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,  # a tiny corpus may not reach vocab_size: take what it gives
        unk_id=0, bos_id=1, eos_id=2, pad_id=3,
        unk_piece=UNK, bos_piece=BOS, eos_piece=EOS, pad_piece=PAD,
        num_threads=1,
        minloglevel=2,  # quiet
    )
    return model.getvalue()


def _make_spec(vocabulary: list[str], real_size: int, *, layers: int, d_model: int, heads: int,
               ffn: int, seed: int, eos_bias: float) -> transformer_spec.TransformerSpec:
    """A pre-norm Transformer (like OpenNMT-py's, hence Argos's) with seeded random weights.

    Weights (out, in) have std gain / sqrt(in), biases 0, layer norms gamma 1 and beta 0.
    Dimension 0 of the decoder's residual stream is a clock: zero in the embeddings, written
    by the position encodings only (the row 0 of every decoder sublayer's output projection
    is zero), read by the </s> row of the output projection.
    """
    if d_model % heads or d_model % 2:
        raise ValueError(f"d_model={d_model} must be even and a multiple of heads={heads}")
    rng = np.random.default_rng(seed)
    # Keep the decoder's residual stream and the best logit at the scales of the tuned
    # model: sublayer outputs shrink with depth, logits with the log of the vocabulary size.
    depth_gain = (2 / layers) ** 0.5
    logit_gain = _LOGIT_GAIN * (np.log(90) / np.log(max(real_size, 8))) ** 0.5

    def normal(*shape: int, std: float) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(std)

    def linear(spec, d_in: int, d_out: int, gain: float = 1.0) -> None:
        spec.weight = normal(d_out, d_in, std=gain * d_in ** -0.5)
        spec.bias = np.zeros(d_out, np.float32)

    def clock_safe_output(spec, d_in: int, gain: float) -> None:
        """The output projection of a decoder sublayer: never writes the clock."""
        linear(spec, d_in, d_model, gain * depth_gain)
        spec.weight[0] = 0.0

    def layer_norm(spec) -> None:
        spec.gamma = np.ones(d_model, np.float32)
        spec.beta = np.zeros(d_model, np.float32)

    def self_attention(spec, *, decoder: bool) -> None:
        layer_norm(spec.layer_norm)
        linear(spec.linear[0], d_model, 3 * d_model)  # fused query, key, value
        if decoder:
            clock_safe_output(spec.linear[1], d_model, 1.0)
        else:
            linear(spec.linear[1], d_model, d_model)

    def cross_attention(spec) -> None:
        layer_norm(spec.layer_norm)
        linear(spec.linear[0], d_model, d_model, _QK_GAIN)  # query, from the decoder
        linear(spec.linear[1], d_model, 2 * d_model)  # fused key, value, from the encoder
        spec.linear[1].weight[:d_model] *= np.float32(_QK_GAIN)  # the keys
        clock_safe_output(spec.linear[2], d_model, _CROSS_GAIN)

    def feed_forward(spec, *, decoder: bool) -> None:
        layer_norm(spec.layer_norm)
        linear(spec.linear_0, d_model, ffn)
        if decoder:
            clock_safe_output(spec.linear_1, ffn, 1.0)
        else:
            linear(spec.linear_1, ffn, d_model)

    spec = transformer_spec.TransformerSpec.from_config(layers, heads)  # pre-norm, ReLU

    embeddings = normal(len(vocabulary), d_model, std=d_model ** -0.5)  # x sqrt(d_model) on use
    embeddings[:, 0] = 0.0  # the clock dimension
    spec.encoder.embeddings[0].weight = embeddings
    spec.decoder.embeddings.weight = embeddings  # the same array: saved once (an alias)

    # Encoder: CTranslate2's built-in sinusoidal position encodings (variable left unset).
    layer_norm(spec.encoder.layer_norm)
    for layer in spec.encoder.layer:
        self_attention(layer.self_attention, decoder=False)
        feed_forward(layer.ffn, decoder=False)

    # Decoder: explicit sinusoidal encodings (sin half, cos half), dimension 0 is the clock.
    positions = np.arange(_MAX_DECODER_POSITIONS, dtype=np.float32)[:, None]
    angles = positions * np.exp(-np.log(10000.0) * np.arange(0, d_model, 2) / d_model)
    encodings = np.concatenate([np.sin(angles), np.cos(angles)], axis=1).astype(np.float32)
    encodings[:, 0] = positions[:, 0] - _CLOCK_START
    spec.decoder.position_encodings.encodings = encodings
    layer_norm(spec.decoder.layer_norm)
    for layer in spec.decoder.layer:
        self_attention(layer.self_attention, decoder=True)
        cross_attention(layer.attention)
        feed_forward(layer.ffn, decoder=True)

    linear(spec.decoder.projection, d_model, len(vocabulary), logit_gain)
    eos = vocabulary.index(EOS)
    spec.decoder.projection.weight[eos] = 0.0
    spec.decoder.projection.weight[eos, 0] = _CLOCK_WEIGHT
    spec.decoder.projection.bias[eos] = eos_bias
    for token in (UNK, BOS, PAD):
        spec.decoder.projection.bias[vocabulary.index(token)] = _NEVER
    spec.decoder.projection.bias[real_size:] = _NEVER  # the dummy tokens of extra_vocab_to

    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)  # the same list: saved as shared_vocabulary
    return spec


def build_model_dir(target: Path, *, sentences: list[str] | None = None, vocab_size: int = 64,
                    layers: int = 2, d_model: int = 32, heads: int = 2, ffn: int = 64,
                    extra_vocab_to: int | None = None, quantization: str | None = None,
                    seed: int = 0, eos_bias: float = 4.0) -> Path:
    """Writes model/ (CTranslate2) and sentencepiece.model into target; returns target.

    sentences: SentencePiece training text; default: the built-in multilingual sentences,
        plus ``synthetic_sentences`` when vocab_size asks for more pieces than they can give.
    vocab_size: SentencePiece's target size; raised to the number of distinct characters
        (+ specials) if smaller, and only a soft limit if the corpus cannot reach it.
    layers, d_model, heads, ffn: encoder = decoder depth, width, attention heads, FFN width.
    extra_vocab_to: pad the CTranslate2 vocabulary with never-produced dummy tokens to
        this size (e.g. 32000 for an Argos-sized model with a small SentencePiece model).
    quantization: None (float32) or a CTranslate2 weight type such as "int8".
    eos_bias: output bias of ``</s>``: larger gives shorter outputs, -1e4 never stops.

    The CTranslate2 vocabulary is SentencePiece's pieces in id order — ``<unk>``, ``<s>``,
    ``</s>``, ``<blank>`` (padding) first — then the dummy tokens.
    """
    target = Path(target)
    if sentences is None:
        sentences = list(BUILTIN_SENTENCES)
        if vocab_size > _BUILTIN_CAPACITY:
            sentences += synthetic_sentences(max(2000, vocab_size), seed)
    sp_model = _train_sentencepiece(sentences, vocab_size, seed)
    sp = spm.SentencePieceProcessor(model_proto=sp_model)
    vocabulary = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    assert tuple(vocabulary[: len(SPECIALS)]) == SPECIALS, vocabulary[: len(SPECIALS)]
    real_size = len(vocabulary)
    if extra_vocab_to is not None:
        if extra_vocab_to < real_size:
            raise ValueError(f"extra_vocab_to={extra_vocab_to} < SentencePiece size {real_size}")
        vocabulary += [f"<dummy_{i}>" for i in range(real_size, extra_vocab_to)]

    spec = _make_spec(vocabulary, real_size, layers=layers, d_model=d_model, heads=heads,
                      ffn=ffn, seed=seed, eos_bias=eos_bias)
    spec.validate()
    spec.optimize(quantization=quantization)  # aliases shared arrays, quantizes weights
    model_dir = target / "model"
    model_dir.mkdir(parents=True)  # spec.save() does not create it
    spec.save(str(model_dir))
    (target / "sentencepiece.model").write_bytes(sp_model)
    return target


def build_package(workdir: Path, from_code: str, to_code: str, *, version: str = "1.0",
                  name: str | None = None, **model_options) -> Path:
    """Builds the folder translate-{from}_{to}-{version with . replaced by _} in workdir,
    writes metadata.json, and zips it into
    workdir / f"translate-{from_code}_{to_code}-{version_}.argosmodel" (one top-level folder).
    Returns the .argosmodel path.

    name: another name for the folder and the .argosmodel file (without extension).
    model_options: passed on to :func:`build_model_dir`.
    The folder is left in workdir; the zip's bytes depend only on the arguments.
    """
    workdir = Path(workdir)
    name = name or f"translate-{from_code}_{to_code}-{version.replace('.', '_')}"
    folder = workdir / name
    archive = workdir / f"{name}.argosmodel"
    if folder.exists() or archive.exists():
        raise FileExistsError(f"{folder} or {archive} already exists")
    folder.mkdir(parents=True)
    build_model_dir(folder, **model_options)
    metadata = {
        "package_version": version,
        "argos_version": "1.9.0",
        "from_code": from_code,
        "from_name": LANGUAGE_NAMES.get(from_code, from_code),
        "to_code": to_code,
        "to_name": LANGUAGE_NAMES.get(to_code, to_code),
        "type": "translate",
    }
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=4) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(
        f"# {name}\n\nSynthetic test package built by tests/argos_package.py: random weights, "
        "not a translator.\n", encoding="utf-8")

    return zip_folder(folder, archive)


def zip_folder(folder: Path, archive: Path) -> Path:
    """Zips ``folder`` as the one top-level folder of ``archive``, byte for byte reproducibly."""
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted([folder, *folder.rglob("*")]):
            arcname = path.relative_to(folder.parent).as_posix() + ("/" if path.is_dir() else "")
            info = zipfile.ZipInfo(arcname, date_time=(2024, 1, 1, 0, 0, 0))
            if path.is_dir():
                info.external_attr = 0o40755 << 16 | 0x10
                bundle.writestr(info, b"")
            else:
                info.external_attr = 0o644 << 16
                # Compressing random weights gains little and costs seconds on big models.
                info.compress_type = (zipfile.ZIP_STORED if path.name == "model.bin"
                                      else zipfile.ZIP_DEFLATED)
                bundle.writestr(info, path.read_bytes())
    return archive


if __name__ == "__main__":  # self-check: python tests/argos_package.py [--big]
    import sys
    import tempfile
    import time

    import ctranslate2

    def load(folder: Path, compute_type: str = "default"):
        translator = ctranslate2.Translator(str(folder / "model"), device="cpu",
                                            compute_type=compute_type, inter_threads=1,
                                            intra_threads=1)
        sp = spm.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
        return translator, sp

    def translate(translator, sp, texts: list[str]) -> list[list[str]]:
        results = translator.translate_batch([sp.encode(t, out_type=str) for t in texts],
                                             beam_size=1, max_decoding_length=16)
        return [r.hypotheses[0] for r in results]

    def batch_invariance(folder: Path, texts: list[str]) -> None:
        for compute_type in ("default", "float32"):
            translator, sp = load(folder, compute_type)
            started = time.perf_counter()
            together = translate(translator, sp, texts)
            batched = time.perf_counter() - started
            alone = [translate(translator, sp, [t])[0] for t in texts]
            changed = sum(a != b for a, b in zip(alone, together))
            print(f"  compute_type={compute_type}: batch of {len(texts)} in {batched:.3f} s;"
                  f" {changed} outputs differ from one-by-one; output lengths"
                  f" {sorted(len(p) for p in alone)}; {len(set(map(tuple, alone)))} distinct")

    # Sentences of 1 to ~60 pieces; the synthetic ones are the longest.
    texts = (BUILTIN_SENTENCES + ["Hola", "26-1234-5678", "B-2.", "a " * 30]
             + synthetic_sentences(16, seed=7))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        archive = build_package(tmp / "work", "es", "en")
        built = time.perf_counter() - started
        with zipfile.ZipFile(archive) as bundle:
            names = bundle.namelist()
            assert {n.split("/")[0] for n in names} == {"translate-es_en-1_0"}, names
            bundle.extractall(tmp / "unzipped")
        print(f"built {archive.name} ({archive.stat().st_size} bytes) in {built:.3f} s:")
        print("   ", "\n    ".join(names))
        folder = tmp / "unzipped" / "translate-es_en-1_0"
        print("metadata:", json.loads((folder / "metadata.json").read_text()))
        again = build_package(tmp / "again", "es", "en")
        assert again.read_bytes() == archive.read_bytes(), "not reproducible"
        print("rebuilt: identical .argosmodel bytes")

        started = time.perf_counter()
        translator, sp = load(folder)
        print(f"loaded in {time.perf_counter() - started:.3f} s")
        started = time.perf_counter()
        outputs = translate(translator, sp, texts[:3])
        print(f"translated 3 in {time.perf_counter() - started:.4f} s")
        for text, pieces in zip(texts, outputs):
            print(f"  {text!r} -> {pieces} -> {sp.decode(pieces)!r}")
        print("batch invariance (tiny model):")
        batch_invariance(folder, texts)

        if "--big" in sys.argv:
            started = time.perf_counter()
            big = build_model_dir(tmp / "big", layers=6, d_model=512, heads=8, ffn=2048,
                                  vocab_size=8000, extra_vocab_to=32000, quantization="int8")
            built = time.perf_counter() - started
            size = sum(p.stat().st_size for p in big.rglob("*") if p.is_file())
            pieces = spm.SentencePieceProcessor(
                model_file=str(big / "sentencepiece.model")).get_piece_size()
            print(f"big model: {pieces} SentencePiece pieces + dummies to 32000, built in"
                  f" {built:.1f} s, {size / 1e6:.1f} MB")
            started = time.perf_counter()
            translator, sp = load(big)
            print(f"  loaded in {time.perf_counter() - started:.2f} s")
            for text, pieces in zip(texts, translate(translator, sp, texts[:3])):
                print(f"  {text!r} -> {sp.decode(pieces)!r}")
            batch_invariance(big, texts)
