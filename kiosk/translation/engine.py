"""The translation engine: Argos packages run with CTranslate2 and SentencePiece.

Only the worker imports this module. It never touches the network: no
argostranslate, no stanza, no torch. One translator per language pair is
loaded once, under a lock, shared by threads, and unloaded when unused for a
while. All sentences of all texts for one pair go to the model in one batched
call. With no direct package, the engine pivots through English.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import sentencepiece

from kiosk.translation import packages as package_store
from kiosk.translation.sentences import join, pieces

PIVOT = "en"
MAX_TOKENS = 200  # longer pieces are cut: models are trained on sentences, not pages


@dataclass(frozen=True)
class Request:
    text: str
    source: str
    target: str


@dataclass(frozen=True)
class Result:
    text: str | None  # None: no package, nor a pivot through English, can do it
    made_by: str | None


class LoadedPair:
    def __init__(self, package: package_store.Package, threads: int, compute_type: str):
        self.package = package
        self.tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(package.tokenizer))
        self.translator = ctranslate2.Translator(
            str(package.path / "model"), device="cpu", compute_type=compute_type,
            inter_threads=1, intra_threads=threads,
        )
        self.last_used = time.monotonic()

    def encode(self, text: str) -> list[list[str]]:
        tokens = self.tokenizer.encode(text, out_type=str)
        return [tokens[i:i + MAX_TOKENS] for i in range(0, len(tokens), MAX_TOKENS)] or [[]]

    def translate(self, texts: list[str], beam_size: int) -> list[str]:
        self.last_used = time.monotonic()
        chunks, owners = [], []
        for index, text in enumerate(texts):
            for chunk in self.encode(text):
                chunks.append(chunk)
                owners.append(index)
        results = self.translator.translate_batch(
            chunks, beam_size=beam_size, max_batch_size=64, max_decoding_length=2 * MAX_TOKENS,
        )
        out = [[] for _ in texts]
        for owner, result in zip(owners, results):
            out[owner].append(self.tokenizer.decode(result.hypotheses[0]))
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
        self._loaded: dict[tuple[str, str], LoadedPair] = {}
        self._lock = threading.Lock()

    def available(self) -> dict[tuple[str, str], package_store.Package]:
        return {p.pair: p for p in package_store.installed(self.packages_dir)}

    def route(self, source: str, target: str, installed=None) -> list[package_store.Package] | None:
        """The packages to go through, in order, or None when there is no way."""
        installed = installed if installed is not None else self.available()
        if (source, target) in installed:
            return [installed[source, target]]
        if (source, PIVOT) in installed and (PIVOT, target) in installed:
            return [installed[source, PIVOT], installed[PIVOT, target]]
        return None

    def _pair(self, package: package_store.Package) -> LoadedPair:
        with self._lock:
            loaded = self._loaded.get(package.pair)
            if loaded is None or loaded.package.path != package.path:  # new, or a newer version installed
                loaded = self._loaded[package.pair] = LoadedPair(package, self.threads, self.compute_type)
            return loaded

    def unload_idle(self) -> list[tuple[str, str]]:
        cutoff = time.monotonic() - self.idle_unload
        with self._lock:
            idle = [pair for pair, loaded in self._loaded.items() if loaded.last_used < cutoff]
            for pair in idle:
                del self._loaded[pair]
        return idle

    def loaded_pairs(self) -> list[tuple[str, str]]:
        return sorted(self._loaded)

    def translate_many(self, requests: list[Request]) -> list[Result]:
        """Translates every request; sentences of all requests sharing a step go in one batch."""
        results: list[Result | None] = [None] * len(requests)
        plans = {}
        installed = self.available()  # one look at the packages folder per batch
        for index, request in enumerate(requests):
            if request.source == request.target or not request.text.strip():
                results[index] = Result(request.text, None)
                continue
            route = self.route(request.source, request.target, installed)
            if route is None:
                results[index] = Result(None, None)
                continue
            parts = pieces(request.text, request.source)
            texts = {i: p.text for i, p in enumerate(parts) if p.translate}
            plans[index] = (route, parts, texts)

        # Walk the routes step by step, batching by package at every step.
        step = 0
        while any(step < len(route) for route, _parts, _texts in plans.values()):
            by_package: dict[Path, list[tuple[int, int]]] = {}
            for index, (route, _parts, texts) in plans.items():
                if step < len(route):
                    by_package.setdefault(route[step].path, []).extend((index, key) for key in texts)
            for keys in by_package.values():
                route = plans[keys[0][0]][0]
                loaded = self._pair(route[step])
                outputs = loaded.translate([plans[i][2][k] for i, k in keys], self.beam_size)
                for (index, key), output in zip(keys, outputs):
                    plans[index][2][key] = output
            step += 1

        for index, (route, parts, texts) in plans.items():
            results[index] = Result(join(parts, texts), " + ".join(p.label for p in route))
        return results

    def translate(self, text: str, source: str, target: str) -> Result:
        return self.translate_many([Request(text, source, target)])[0]

