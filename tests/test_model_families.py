"""OPUS-MT and multilingual (M2M-100, NLLB) packages beside Argos ones: one engine, routes, coverage.

Every model here is genuine (SentencePiece + CTranslate2, the documented layout) but tiny,
deterministic and built in the test run (tests/model_packages.py); the network guard refuses
anything off loopback. Engines compute in float32, where batching changes no output.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.core.models import Case, Translation
from kiosk.translation import coverage, packages, routes
from kiosk.translation.engine import Engine, Request
from tests.argos_package import build_package
from tests.helpers import audited, file_complaint, run_worker
from tests.model_packages import (
    NLLB_TOKENS, converted_multilingual, converted_opus_mt, multilingual_package, opus_mt_package,
)
from tests.test_translation import _contents, _zip


@pytest.fixture(scope="session")
def archives(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("families")
    return {
        "opus_vi_en": opus_mt_package(work / "a", "vi", "en", seed=1),
        "m2m": multilingual_package(work / "b", seed=2),  # en es fr ht vi pa
        "m2m_no_vi": multilingual_package(work / "c", "m2m100-tiny", tokens={"en": "__en__", "es": "__es__",
                                                                              "fr": "__fr__"}, seed=3),
        "nllb": multilingual_package(work / "d", "nllb-tiny", family="nllb", license="CC-BY-NC-4.0", seed=4),
        "argos_es_en": build_package(work / "e", "es", "en", seed=5),
    }


def install(runner, *paths):
    return runner.invoke(args=["translate", "install", *map(str, paths)])


def engine_for(config) -> Engine:
    return Engine(config.language_packages, beam_size=1, compute_type="float32")


def command(runner, *args):
    return runner.invoke(args=["translate", *args])


# --- install, list, remove ------------------------------------------------------------------

def test_install_list_and_remove_every_family_by_name(runner, archives, config):
    result = install(runner, archives["opus_vi_en"], archives["m2m"], archives["argos_es_en"])
    assert result.exit_code == 0, result.output
    assert "installed opus-mt-vi-en 1.0 (vi -> en) from opus-mt-vi-en-1_0.argosmodel" in result.output
    assert "installed m2m100-tiny 1.0 (en, es, fr, ht, pa, vi)" in result.output
    listed = command(runner, "list").output.splitlines()
    assert [line.split()[0] for line in listed] == ["es", "vi", "en,"]
    assert re.match(r"vi -> en  1\.0 +[\d.]+ MB  opus-mt +apache-2\.0 +opus-mt-vi-en-1_0$", listed[1]), listed
    assert re.match(r"en, es, fr, ht, pa, vi  1\.0 .* m2m100 +MIT +m2m100-tiny-1_0$", listed[2]), listed
    assert "licence not stated" in listed[0]  # an Argos package as published: valid, unchanged

    for name in ("m2m100-tiny", "opus-mt-vi-en", "translate-es_en"):
        removed = command(runner, "remove", name)
        assert removed.exit_code == 0 and removed.output == f"removed {name} 1.0\n"
    assert command(runner, "list").output.startswith("no language packages")
    assert list(config.language_packages.iterdir()) == []
    missing = command(runner, "remove", "m2m100-tiny")
    assert missing.exit_code == 1 and "no package installed for m2m100-tiny" in missing.output


def test_a_newer_multilingual_version_replaces_the_older(runner, archives, tmp_path, config):
    install(runner, archives["m2m"])
    newer = multilingual_package(tmp_path, version="1.1", seed=2)
    assert install(runner, newer).exit_code == 0
    [package] = packages.installed(config.language_packages)
    assert package.version == "1.1" and len(list(config.language_packages.iterdir())) == 1
    again = install(runner, archives["m2m"])
    assert again.exit_code == 1 and "m2m100-tiny 1.1 is installed already; this is 1.0" in again.output


# --- translating ---------------------------------------------------------------------------

def test_an_opus_mt_package_translates_offline_and_batches_like_one_by_one(runner, archives, config):
    install(runner, archives["opus_vi_en"])
    engine = engine_for(config)
    texts = ["Tôi cần gặp bác sĩ.", "Thức ăn lạnh. Không có nước sạch.", "Số hồ sơ của tôi là 26-1234-5678."]
    together = engine.translate_many([Request(t, "vi", "en") for t in texts])
    alone = [engine.translate(t, "vi", "en") for t in texts]
    assert [r.text for r in together] == [r.text for r in alone] and all(r.text for r in alone)
    assert {r.made_by for r in together} == {"opus-mt-vi-en 1.0 (apache-2.0)"}
    assert "26-1234-5678" in together[2].text  # identifiers never reach the model
    assert engine.translate("Tôi cần gặp bác sĩ.", "en", "vi").text is None  # one direction only


def test_one_multilingual_model_serves_several_pairs_in_one_batch(runner, archives, config, monkeypatch):
    install(runner, archives["m2m"])
    engine = engine_for(config)
    requests = [Request("Necesito un médico.", "es", "en"), Request("Je veux parler à mon avocat.", "fr", "en"),
                Request("I need a doctor.", "en", "ht"), Request("Necesito un médico.", "es", "fr")]
    alone = [engine.translate(r.text, r.source, r.target) for r in requests]
    loaded = engine.model(packages.installed(config.language_packages)[0])
    calls = []
    real = loaded.translator.translate_batch
    monkeypatch.setattr(loaded, "translator", type("Counting", (), {
        "translate_batch": lambda self, chunks, **options: calls.append(options["target_prefix"]) or real(chunks, **options)})())
    together = engine.translate_many(requests)
    assert calls == [[["__en__"], ["__en__"], ["__ht__"], ["__fr__"]]]  # one call, each its target's token
    assert [r.text for r in together] == [r.text for r in alone] and all(r.text for r in alone)
    assert {r.made_by for r in together} == {"m2m100-tiny 1.0 (MIT)"}
    assert together[0].text != together[3].text  # the target language's token steers the output
    assert engine.loaded() == ["m2m100-tiny"]


def test_an_nllb_package_uses_its_own_codes(runner, archives, config):
    install(runner, archives["nllb"])
    result = engine_for(config).translate("Mwen bezwen yon doktè.", "ht", "en")
    assert result.text and result.made_by == "nllb-tiny 1.0 (CC-BY-NC-4.0)"
    [package] = packages.installed(config.language_packages)
    assert package.languages == NLLB_TOKENS


def test_a_pivot_through_english_may_use_a_multilingual_model(runner, archives, config):
    install(runner, archives["opus_vi_en"], archives["m2m_no_vi"])
    engine = engine_for(config)
    result = engine.translate("Tôi cần gặp bác sĩ.", "vi", "fr")
    assert result.made_by == "opus-mt-vi-en 1.0 (apache-2.0) + m2m100-tiny 1.0 (MIT)"
    english = engine.translate("Tôi cần gặp bác sĩ.", "vi", "en").text
    assert result.text == engine.translate(english, "en", "fr").text
    assert engine.route("vi", "fr").kind == "pivot" and engine.route("es", "fr").kind == "multilingual"


def test_a_direct_package_comes_first_unless_another_is_preferred(runner, archives, config):
    install(runner, archives["argos_es_en"], archives["m2m"])
    engine = engine_for(config)
    assert engine.translate("Hola.", "es", "en").made_by == "translate-es_en 1.0"
    refused = command(runner, "prefer", "es", "en", "opus-mt-vi-en")
    assert refused.exit_code == 1 and "name a package that translates es -> en: translate-es_en, m2m100-tiny" \
        in refused.output
    assert command(runner, "prefer", "es", "en", "m2m100-tiny").output == "m2m100-tiny is preferred for es -> en\n"
    assert engine.translate("Hola.", "es", "en").made_by == "m2m100-tiny 1.0 (MIT)"
    assert json.loads((config.language_packages / routes.PREFERENCES_FILE).read_text()) == {"es>en": "m2m100-tiny"}
    assert command(runner, "prefer", "es", "en", "--clear").exit_code == 0
    assert engine.translate("Hola.", "es", "en").made_by == "translate-es_en 1.0"
    (config.language_packages / routes.PREFERENCES_FILE).write_text("{damaged")  # read as no preference
    assert engine.translate("Hola.", "es", "en").made_by == "translate-es_en 1.0"


def test_a_kiosk_complaint_in_vietnamese_reaches_staff_in_english(app, kiosk, database, runner, archives, config):
    install(runner, archives["opus_vi_en"])
    file_complaint(kiosk, language="vi", words="Tôi cần gặp bác sĩ.")
    run_worker(app)
    with database.sessions() as session:
        translation = session.scalars(select(Translation)).one()
        assert translation.status == "done" and translation.made_by == "opus-mt-vi-en 1.0 (apache-2.0)"
        assert translation.text == Engine.from_config(config).translate("Tôi cần gặp bác sĩ.", "vi", "en").text
        assert not session.scalars(select(Case.needs_interpreter)).one()


def test_installing_a_multilingual_model_retries_what_waited(app, kiosk, database, runner, archives):
    file_complaint(kiosk, language="pa", a_number=None, words="ਮੈਨੂੰ ਡਾਕਟਰ ਦੀ ਲੋੜ ਹੈ।")
    run_worker(app)
    with database.sessions() as session:
        assert session.scalars(select(Translation.status)).all() == ["unavailable"]
    result = install(runner, archives["m2m"])
    assert "1 text(s) no package could translate are queued again" in result.output
    run_worker(app)
    with database.sessions() as session:
        translation = session.scalars(select(Translation)).one()
        assert translation.status == "done" and translation.made_by == "m2m100-tiny 1.0 (MIT)"


# --- coverage ---------------------------------------------------------------------------------

def test_coverage_names_the_route_or_where_to_get_a_model(runner, archives, config):
    install(runner, archives["opus_vi_en"], archives["m2m_no_vi"], archives["argos_es_en"])
    out = command(runner, "coverage").output
    table, _blank, missing = out.partition("\n\n")
    rows = {line.split()[0]: line for line in table.splitlines()}
    assert re.search(r"Spanish +translate-es_en 1\.0 \(direct\) +m2m100-tiny 1\.0 \(multilingual\)$", rows["es"])
    assert re.search(r"Vietnamese +opus-mt-vi-en 1\.0 \(direct\) +not covered$", rows["vi"])
    assert re.search(r"French +m2m100-tiny 1\.0 \(multilingual\) +m2m100-tiny 1\.0 \(multilingual\)$", rows["fr"])
    assert re.search(r"Punjabi +not covered +not covered$", rows["pa"])
    assert len(rows) == 1 + 13 and "en" not in rows  # a heading, then the Handbook's languages but English
    assert missing.startswith("Where to get what is missing")
    assert "  en -> vi (Vietnamese):\n    OPUS-MT: Helsinki-NLP/opus-mt-en-vi" in missing
    assert "M2M-100: facebook/m2m100_418M, __pa__ (MIT" in missing
    assert "Argos index: translate-zh_en" in missing and "Argos index: translate-vi" not in missing


def test_coverage_shows_other_languages_cases_used(config, archives):
    shutil.rmtree(config.language_packages, ignore_errors=True)
    [row] = [r for r in coverage.coverage(config.language_packages, {"quc", "es"}) if not r.handbook]
    assert (row.code, row.to_english.route) == ("quc", None)
    assert row.to_english.where_to_get[0] == "OPUS-MT: Helsinki-NLP/opus-mt-quc-en, if published (apache-2.0)"


# --- broken packages ----------------------------------------------------------------------------

def _edited(archive: Path, tmp: Path, name: str, *, metadata=None, drop: str | None = None) -> Path:
    files = _contents(archive)
    top = next(iter(files)).split("/")[0]
    if metadata is not None:
        old = json.loads(files[f"{top}/metadata.json"])
        files[f"{top}/metadata.json"] = json.dumps(metadata(old)).encode()
    return _zip(tmp / f"{name}.argosmodel", {k: v for k, v in files.items() if not (drop and k.endswith(drop))})


def broken_new_packages(archives, tmp: Path) -> dict[str, tuple[Path, str]]:
    m2m, opus = archives["m2m"], archives["opus_vi_en"]
    return {
        "no target.spm": (_edited(opus, tmp, "a", drop="target.spm"), "target.spm is missing"),
        "no source.spm": (_edited(opus, tmp, "b", drop="source.spm"), "source.spm is missing"),
        "languages without tokens": (_edited(m2m, tmp, "c", metadata=lambda m: {**m, "languages": ["es", "en"]}),
                                     "must list 'languages' (at least two) with their model tokens"),
        "a language with an empty token": (_edited(m2m, tmp, "d", metadata=lambda m: {
            **m, "languages": {"es": "__es__", "en": " "}}), "gives language 'en' no model token"),
        "a token the model does not know": (_edited(m2m, tmp, "e", metadata=lambda m: {
            **m, "languages": {**m["languages"], "ar": "__ar__"}}),
            "the token '__ar__' of language 'ar' is not in the model's vocabulary"),
        "an unknown family": (_edited(m2m, tmp, "f", metadata=lambda m: {**m, "model_family": "gpt"}),
                              "unknown model_family 'gpt'"),
        "a multilingual model without a name": (_edited(m2m, tmp, "g", metadata=lambda m: {
            k: v for k, v in m.items() if k != "name"}), "no valid 'name'"),
        "no licence": (_edited(opus, tmp, "h", metadata=lambda m: {k: v for k, v in m.items() if k != "license"}),
                       "no valid 'license'"),
        "a name that is a path": (_edited(m2m, tmp, "i", metadata=lambda m: {**m, "name": "../x"}),
                                  "no valid 'name'"),
        "no vocabulary file": (_edited(m2m, tmp, "j", drop="shared_vocabulary.json"), "the model"),
        "no tokenizer": (_edited(m2m, tmp, "k", drop="sentencepiece.model"), "sentencepiece.model"),
    }


def test_broken_packages_of_the_new_kinds_are_refused_in_one_line(runner, archives, config, tmp_path):
    install(runner, archives["argos_es_en"])
    before = sorted(p.relative_to(config.language_packages) for p in config.language_packages.rglob("*"))
    for kind, (archive, reason) in broken_new_packages(archives, tmp_path).items():
        result = install(runner, archive)
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and reason in lines[0], (kind, result.output)
        assert sorted(p.relative_to(config.language_packages)
                      for p in config.language_packages.rglob("*")) == before, kind


# --- kioskctl translate package -------------------------------------------------------------------

def test_package_builds_from_converted_folders_and_checks_like_install(runner, tmp_path, config):
    opus = converted_opus_mt(tmp_path / "ct2-opus", seed=1)
    built = command(runner, "package", str(opus), "--family", "opus-mt", "--from", "vi", "--to", "en",
                    "--license", "apache-2.0", "--source", "https://huggingface.co/Helsinki-NLP/opus-mt-vi-en",
                    "--out", str(tmp_path / "out"))
    assert built.exit_code == 0, built.output
    assert built.output.startswith(f"built {tmp_path / 'out' / 'opus-mt-vi-en-1_0.argosmodel'} : ")
    m2m = converted_multilingual(tmp_path / "ct2-m2m", {"en": "__en__", "es": "__es__", "pa": "__pa__"})
    built = command(runner, "package", str(m2m), "--family", "m2m100", "--name", "m2m100_418M",
                    "--license", "MIT", "--out", str(tmp_path / "out"))
    assert built.exit_code == 0 and "m2m100_418M 1.0 (MIT), m2m100, en, es, pa" in built.output, built.output
    assert install(runner, tmp_path / "out").exit_code == 0  # the folder, as from a USB stick
    assert [p.name for p in packages.installed(config.language_packages)] == ["opus-mt-vi-en", "m2m100_418M"]
    assert engine_for(config).translate("ਮੈਨੂੰ ਡਾਕਟਰ ਦੀ ਲੋੜ ਹੈ।", "pa", "en").made_by == "m2m100_418M 1.0 (MIT)"


def test_package_refuses_what_install_would_refuse_and_leaves_no_archive(runner, tmp_path):
    out = tmp_path / "out"
    m2m = converted_multilingual(tmp_path / "ct2-m2m", {"en": "__en__", "es": "__es__"})
    unknown = command(runner, "package", str(m2m), "--family", "m2m100", "--name", "m", "--license", "MIT",
                      "--language", "es=__es__", "--language", "ar=__ar__", "--out", str(out))
    assert unknown.exit_code == 1 and unknown.output.strip().splitlines() == [
        "Error: not packaged: the token '__ar__' of language 'ar' is not in the model's vocabulary"]
    opus = converted_opus_mt(tmp_path / "ct2-opus")
    (opus / "target.spm").unlink()
    no_spm = command(runner, "package", str(opus), "--family", "opus-mt", "--from", "vi", "--to", "en",
                     "--license", "apache-2.0", "--out", str(out))
    assert no_spm.exit_code == 1 and "has no target.spm" in no_spm.output
    for args, reason in [(["--family", "m2m100"], "needs --name"), (["--family", "opus-mt"], "needs --from and --to"),
                         (["--family", "m2m100", "--name", "m", "--language", "es"], "CODE=TOKEN")]:
        result = command(runner, "package", str(m2m), *args, "--out", str(out))
        assert result.exit_code == 1 and reason in result.output, result.output
    assert not out.exists() or [p for p in out.iterdir() if not p.name.startswith(".")] == []


# --- the administrator's packages page ------------------------------------------------------------

def test_the_packages_page_shows_coverage_and_takes_a_preference(ada, runner, archives, config, database):
    install(runner, archives["argos_es_en"], archives["m2m"])
    page = ada.get("/staff/admin/packages").get_data(as_text=True)
    assert "<td>Spanish (es)</td>" in page and "translate-es_en 1.0 (direct)" in page
    assert "m2m100-tiny 1.0 (multilingual)" in page and "MIT" in page and "m2m100" in page
    assert "Helsinki-NLP/opus-mt-ar-en" in page  # Arabic is not covered: where to get it
    ada.post("/staff/admin/packages/prefer", {"source": "es", "target": "en", "package": "m2m100-tiny"},
             follow_redirects=True)
    assert "The package m2m100-tiny is now preferred for es → en." in ada.text
    assert '<option value="m2m100-tiny" selected>' in ada.text
    assert engine_for(config).translate("Hola.", "es", "en").made_by == "m2m100-tiny 1.0 (MIT)"
    [preferred] = audited(database, "package.preferred")
    assert preferred.detail == {"pair": "es-en", "package": "m2m100-tiny"}

    for form, message in [({"source": "es", "target": "en", "package": "opus-mt-vi-en"}, "does not translate es → en"),
                          ({"source": "../x", "target": "en", "package": ""}, "Choose a language pair"),
                          ({}, "Choose a language pair")]:
        ada.post("/staff/admin/packages/prefer", form, follow_redirects=True)
        assert message in ada.text, form
    assert routes.preferences(config.language_packages) == {"es>en": "m2m100-tiny"}

    ada.post("/staff/admin/packages/m2m100-tiny/remove", follow_redirects=True)
    assert "Removed m2m100-tiny 1.0." in ada.text
    assert [p.name for p in packages.installed(config.language_packages)] == ["translate-es_en"]
    ada.post("/staff/admin/packages/m2m100-tiny/remove", follow_redirects=True)
    assert "No package named m2m100-tiny is installed." in ada.text
