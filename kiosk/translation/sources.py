"""Where translation models come from, and how each names the Handbook languages.

Plain data for the coverage report (what to fetch for a missing pair) and for
``kioskctl translate package`` (a multilingual model's language tokens). Models are
fetched and converted on a machine with internet (kiosk/translation/FORMAT.md);
the product only loads the converted files.
"""
from __future__ import annotations

# Argos Translate's public index: languages it has packages for, to and from English.
# It has none for Haitian Creole, Punjabi or Vietnamese.
ARGOS_INDEX = {"ar", "bn", "es", "fr", "hi", "pt", "ro", "ru", "tr", "zh_Hans"}

# A product code as OPUS-MT model names and the Argos index spell it, where they differ.
MODEL_CODE = {"zh_Hans": "zh"}

# M2M-100 (MIT) knows every Handbook language by these tokens; NLLB-200 (CC-BY-NC 4.0) by these codes.
M2M100_TOKENS = {
    "en": "__en__", "es": "__es__", "pt": "__pt__", "ht": "__ht__", "zh_Hans": "__zh__", "pa": "__pa__",
    "hi": "__hi__", "bn": "__bn__", "ar": "__ar__", "fr": "__fr__", "ru": "__ru__", "ro": "__ro__",
    "tr": "__tr__", "vi": "__vi__",
}
NLLB_TOKENS = {
    "en": "eng_Latn", "es": "spa_Latn", "pt": "por_Latn", "ht": "hat_Latn", "zh_Hans": "zho_Hans",
    "pa": "pan_Guru", "hi": "hin_Deva", "bn": "ben_Beng", "ar": "arb_Arab", "fr": "fra_Latn",
    "ru": "rus_Cyrl", "ro": "ron_Latn", "tr": "tur_Latn", "vi": "vie_Latn",
}
TOKENS = {"m2m100": M2M100_TOKENS, "nllb": NLLB_TOKENS}


def where_to_get(code: str, source: str, target: str) -> list[str]:
    """Public models that may translate source -> target (one of them English), best licence first."""
    spelled = {c: MODEL_CODE.get(c, c) for c in (source, target)}
    found = []
    if code in ARGOS_INDEX:
        found.append(f"Argos index: translate-{spelled[source]}_{spelled[target]} (kioskctl translate download)")
    found.append(f"OPUS-MT: Helsinki-NLP/opus-mt-{spelled[source]}-{spelled[target]}, if published (apache-2.0)")
    if code in M2M100_TOKENS:
        found.append(f"M2M-100: facebook/m2m100_418M, {M2M100_TOKENS[code]} (MIT; one model for every pair)")
    if code in NLLB_TOKENS:
        found.append(f"NLLB-200: facebook/nllb-200-distilled-600M, {NLLB_TOKENS[code]} (CC-BY-NC 4.0: non-commercial)")
    return found
