"""The translation engine: packages of every family run with CTranslate2 and SentencePiece.

Only the worker imports this module. It never touches the network: no
argostranslate, no stanza, no torch. One translator per package is loaded once,
under a lock, shared by threads, and unloaded when unused for a while. All
sentences of all texts going through one package go to the model in one batched
call: a multilingual model takes every pair it serves in that one call, each
sentence with its own language tokens. Routes (direct, multilingual, through
English) are chosen by kiosk/translation/routes.py.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import sentencepiece

from kiosk.translation import packages as package_store
from kiosk.translation import routes
from kiosk.translation.sentences import join, pieces

PIVOT = routes.PIVOT
MAX_TOKENS = 200  # longer pieces are cut: models are trained on sentences, not pages
EOS = "</s>"


@dataclass(frozen=True)
class Request:
    text: str
    source: str
    target: str


@dataclass(frozen=True)
class Result:
    text: str | None  # None: no package, nor a pivot through English, can do it
    made_by: str | None  # each package with its version and licence


class LoadedModel:
    """One package's model and tokenizers, and how its family wants sentences tokenised:
    Argos as SentencePiece cuts them; OPUS-MT ending with </s>; M2M-100 and NLLB with the
    source language's token first and </s> last, the target's token forced as the first
    output token (and dropped from the result)."""

    def __init__(self, package: package_store.Package, threads: int, compute_type: str):
        self.package = package
        self.tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer))
        self.target_tokenizer = (self.tokenizer if package.target_tokenizer == package.tokenizer else
                                 sentencepiece.SentencePieceProcessor(model_file=str(package.target_tokenizer)))
        self.translator = ctranslate2.Translator(
            str(package.path / "model"), device="cpu", compute_type=compute_type,
            inter_threads=1, intra_threads=threads,
        )
        self.language_tokens = set(package.languages.values())
        self.last_used = time.monotonic()

    def encode(self, text: str) -> list[list[str]]:
        tokens = self.tokenizer.encode(text, out_type=str)
        return [tokens[i:i + MAX_TOKENS] for i in range(0, len(tokens), MAX_TOKENS)] or [[]]

    def _framed(self, chunk: list[str], source: str) -> list[str]:
        if self.package.multilingual:
            return [routes.token(self.package, source), *chunk, EOS]
        if self.package.family == package_store.OPUS_MT:
            return [*chunk, EOS]
        return chunk

    def decode(self, hypothesis: list[str]) -> str:
        if self.package.multilingual:  # the forced target token, and any other language token
            hypothesis = [t for t in hypothesis if t not in self.language_tokens]
        return self.target_tokenizer.decode(hypothesis)

    def translate(self, items: list[tuple[str, str, str]], beam_size: int,
                  max_decoding_length: int = 2 * MAX_TOKENS) -> list[str]:
        """Texts, each (text, source, target), in one batched call."""
        self.last_used = time.monotonic()
        chunks, prefixes, owners = [], [], []
        for index, (text, source, target) in enumerate(items):
            for chunk in self.encode(text):
                chunks.append(self._framed(chunk, source))
                prefixes.append([routes.token(self.package, target)])
                owners.append(index)
        results = self.translator.translate_batch(
            chunks, target_prefix=prefixes if self.package.multilingual else None,
            beam_size=beam_size, max_batch_size=64, max_decoding_length=max_decoding_length,
        )
        out = [[] for _ in items]
        for owner, result in zip(owners, results):
            out[owner].append(self.decode(result.hypotheses[0]))
        return [" ".join(parts) for parts in out]


class Engine:
    @classmethod
    def from_config(cls, config) -> "Engine":
        return cls(config.language_packages, beam_size=config.translation_beam_size,
                   compute_type=config.translation_compute_type, threads=config.translation_threads)

    def __init__(self, packages_dir: Path, *, beam_size: int = 4, threads: int = 0, idle_unload: float = 900.0,
                 compute_type: str = "default"):
        self.packages_dir = packages_dir
        self.beam_size = beam_size
        self.compute_type = compute_type
        self.threads = threads
        self.idle_unload = idle_unload
        self._loaded: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()

    def available(self) -> list[package_store.Package]:
        return package_store.installed(self.packages_dir)

    def route(self, source: str, target: str, installed=None, preferences=None) -> routes.Route | None:
        """The packages to go through, in order, or None when there is no way."""
        return routes.route(source, target, self.available() if installed is None else installed,
                            routes.preferences(self.packages_dir) if preferences is None else preferences)

    def model(self, package: package_store.Package) -> LoadedModel:
        with self._lock:
            loaded = self._loaded.get(package.name)
            if loaded is None or loaded.package.path != package.path:  # new, or a newer version installed
                loaded = self._loaded[package.name] = LoadedModel(package, self.threads, self.compute_type)
            return loaded

    def unload_idle(self) -> list[str]:
        cutoff = time.monotonic() - self.idle_unload
        with self._lock:
            idle = [name for name, loaded in self._loaded.items() if loaded.last_used < cutoff]
            for name in idle:
                del self._loaded[name]
        return idle

    def loaded(self) -> list[str]:
        """The names of the packages whose models are in memory."""
        return sorted(self._loaded)

    def translate_many(self, requests: list[Request]) -> list[Result]:
        """Translates every request; sentences of all requests sharing a step's package go in one batch."""
        results: list[Result | None] = [None] * len(requests)
        plans = {}
        installed, preferences = self.available(), routes.preferences(self.packages_dir)  # one look per batch
        for index, request in enumerate(requests):
            if request.source == request.target or not request.text.strip():
                results[index] = Result(request.text, None)
                continue
            route = self.route(request.source, request.target, installed, preferences)
            if route is None:
                results[index] = Result(None, None)
                continue
            parts = pieces(request.text, request.source)
            texts = {i: p.text for i, p in enumerate(parts) if p.translate}
            plans[index] = (route.steps, parts, texts)

        # Walk the routes step by step, batching by package at every step.
        step = 0
        while any(step < len(steps) for steps, _parts, _texts in plans.values()):
            by_package: dict[Path, list[tuple[int, int]]] = {}
            for index, (steps, _parts, texts) in plans.items():
                if step < len(steps):
                    by_package.setdefault(steps[step].package.path, []).extend((index, key) for key in texts)
            for keys in by_package.values():
                loaded = self.model(plans[keys[0][0]][0][step].package)
                items = [(plans[i][2][k], plans[i][0][step].source, plans[i][0][step].target) for i, k in keys]
                for (index, key), output in zip(keys, loaded.translate(items, self.beam_size)):
                    plans[index][2][key] = output
            step += 1

        for index, (steps, parts, texts) in plans.items():
            results[index] = Result(join(parts, texts), routes.Route(steps).credit)
        return results

    def translate(self, text: str, source: str, target: str) -> Result:
        return self.translate_many([Request(text, source, target)])[0]
