"""Offline translation: packages, the engine, and the job path from the kiosk to English.

Every package here is genuine (SentencePiece + CTranslate2, official layout) but
tiny and built in the test run; the network guard refuses anything off loopback.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from markupsafe import escape
from sqlalchemy import select

from kiosk.core import case_translations
from kiosk.core.models import Case, CaseEvent, Job, Translation
from kiosk.translation import packages
from kiosk.translation.engine import Engine, Request
from tests.argos_package import build_package
from tests.helpers import (
    create_staff, file_complaint, filed_case, open_message_form, register_kiosk, run_worker, signed_in,
)


@pytest.fixture(scope="session")
def archives(tmp_path_factory) -> dict[str, Path]:
    workdir = tmp_path_factory.mktemp("argos")
    made = {
        "es_en": build_package(workdir / "a", "es", "en", version="1.0", seed=1),
        "es_en_newer": build_package(workdir / "b", "es", "en", version="1.1", seed=2),
        "en_fr": build_package(workdir / "c", "en", "fr", version="1.0", seed=3),
        "en_es": build_package(workdir / "d", "en", "es", version="1.0", seed=4),
    }
    return made


@pytest.fixture
def packages_dir(config) -> Path:
    return config.language_packages


def install(runner, *paths):
    return runner.invoke(args=["translate", "install", *map(str, paths)])


def listing(runner) -> str:
    return runner.invoke(args=["translate", "list"]).output


# --- installing, listing, removing ------------------------------------------------

def test_install_list_translate_and_remove(runner, archives, config):
    result = install(runner, archives["es_en"])
    assert result.exit_code == 0, result.output
    assert "installed translate-es_en 1.0" in result.output
    assert "es -> en  1.0" in listing(runner)
    translated = runner.invoke(args=["translate", "text", "--from", "es", "--to", "en"], input="Hola. ¿Cómo está?")
    assert translated.exit_code == 0, translated.output
    assert translated.stdout == Engine.from_config(config).translate("Hola. ¿Cómo está?", "es", "en").text
    assert translated.stderr.strip() == "[translate-es_en 1.0]"  # stderr names the package
    removed = runner.invoke(args=["translate", "remove", "es", "en"])
    assert removed.exit_code == 0 and "removed translate-es_en 1.0" in removed.output
    assert "no language packages" in listing(runner)


def test_a_folder_of_packages_installs_like_a_usb_stick(runner, archives, tmp_path, packages_dir):
    stick = tmp_path / "usb"
    stick.mkdir()
    for key in ("es_en", "en_fr"):
        shutil.copy(archives[key], stick)
    assert install(runner, stick).exit_code == 0
    assert [p.pair for p in packages.installed(packages_dir)] == [("en", "fr"), ("es", "en")]


def test_a_newer_version_replaces_the_older_and_an_older_one_is_refused(runner, archives, packages_dir):
    install(runner, archives["es_en"])
    assert install(runner, archives["es_en_newer"]).exit_code == 0
    [package] = packages.installed(packages_dir)
    assert package.version == "1.1"
    assert [d.name for d in packages_dir.iterdir()] == [package.path.name]  # the old one is gone
    again = install(runner, archives["es_en"])
    assert again.exit_code == 1 and "translate-es_en 1.1 is installed already" in again.output
    assert packages.installed(packages_dir)[0].version == "1.1"


def _zip(path: Path, files: dict[str, bytes | None], *, symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            if data is None:
                archive.writestr(zipfile.ZipInfo(name), b"")  # a folder entry
            else:
                archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return path


def _contents(archive: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(archive) as source:
        return {info.filename: source.read(info) for info in source.infolist() if not info.is_dir()}


def broken_packages(good: Path, tmp: Path) -> dict[str, tuple[Path, str]]:
    """Every way a package can be broken, with the message an administrator should read."""
    files = _contents(good)
    top = next(iter(files)).split("/")[0]
    without = lambda suffix: {k: v for k, v in files.items() if not k.endswith(suffix)}  # noqa: E731
    metadata = json.loads(files[f"{top}/metadata.json"])
    no_code = {**files, f"{top}/metadata.json": json.dumps({**metadata, "to_code": ""}).encode()}
    bad_model = {**files, f"{top}/model/model.bin": b"\0not a model" * 100}
    cases = {
        "not a zip": (tmp / "text.argosmodel", "not a zip archive"),
        "two folders": (_zip(tmp / "two.argosmodel", {**files, "other/metadata.json": b"{}"}), "one top-level folder"),
        "file at the root": (_zip(tmp / "root.argosmodel", {**files, "stray.txt": b"x"}), "outside the package folder"),
        "zip slip": (_zip(tmp / "slip.argosmodel", {**files, f"{top}/../../escaped.txt": b"x"}), "escapes the package folder"),
        "absolute path": (_zip(tmp / "abs.argosmodel", {**files, "/tmp/evil.txt": b"x"}), "unsafe path"),
        "symlink": (_zip(tmp / "link.argosmodel", files, symlink=f"{top}/link"), "symbolic link"),
        "no metadata": (_zip(tmp / "nometa.argosmodel", without("metadata.json")), "metadata.json is not readable"),
        "garbled metadata": (_zip(tmp / "garbled.argosmodel", {**files, f"{top}/metadata.json": b"{not json"}), "not readable JSON"),
        "metadata without a code": (_zip(tmp / "nocode.argosmodel", no_code), "no valid 'to_code'"),
        "no model": (_zip(tmp / "nomodel.argosmodel", without("model.bin")), "model/model.bin is missing"),
        "no tokenizer": (_zip(tmp / "nosp.argosmodel", without("sentencepiece.model")), "sentencepiece.model"),
        "a model that does not load": (_zip(tmp / "badmodel.argosmodel", bad_model), "the model does not load"),
    }
    (tmp / "text.argosmodel").write_text("hello")
    return cases


def test_every_kind_of_broken_package_is_refused_and_changes_nothing(runner, archives, packages_dir, tmp_path):
    install(runner, archives["es_en"])
    before = sorted(str(p.relative_to(packages_dir)) for p in packages_dir.rglob("*"))
    for kind, (archive, message) in broken_packages(archives["es_en_newer"], tmp_path).items():
        result = install(runner, archive)
        assert result.exit_code == 1, kind
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (kind, result.output)
        assert sorted(str(p.relative_to(packages_dir)) for p in packages_dir.rglob("*")) == before, kind
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/evil.txt").exists()
    assert packages.installed(packages_dir)[0].version == "1.0"


def test_download_without_the_extra_says_how_to_get_it(runner, monkeypatch):
    monkeypatch.setitem(sys.modules, "argostranslate", None)
    result = runner.invoke(args=["translate", "download", "es", "en"])
    assert result.exit_code != 0 and "needs the optional extra" in result.output


def test_download_without_a_network_fails_quickly_and_clearly(runner, monkeypatch):
    """argostranslate itself would pull in torch; this stand-in fetches its index the same way."""
    import time
    import types
    import urllib.request

    index = types.ModuleType("argostranslate.package")
    index.update_package_index = lambda: urllib.request.urlopen(
        "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json")
    monkeypatch.setitem(sys.modules, "argostranslate", types.SimpleNamespace(package=index))
    monkeypatch.setitem(sys.modules, "argostranslate.package", index)
    started = time.monotonic()
    result = runner.invoke(args=["translate", "download", "es", "en", "--timeout", "2"])
    assert result.exit_code != 0 and "could not reach the Argos package index" in result.output
    assert time.monotonic() - started < 5


# --- the engine -------------------------------------------------------------------

@pytest.fixture
def engine(runner, archives, config) -> Engine:
    """The engine a worker builds, with three packages installed."""
    install(runner, archives["es_en"], archives["en_fr"], archives["en_es"])
    return Engine.from_config(config)


def test_a_text_translates_like_its_sentences_one_by_one(engine):
    sentences = ["Necesito ver a un médico.", "Me duele el pecho desde ayer.", "¿Dónde está mi abogado?",
                 "La comida está fría."]
    whole = engine.translate(" ".join(sentences), "es", "en").text
    alone = [engine.translate(sentence, "es", "en").text for sentence in sentences]
    assert all(alone) and whole == " ".join(alone)


def test_several_texts_in_one_batch_match_each_alone(engine):
    texts = ["Hola.", "No tengo agua limpia. Hace frío por la noche.", "Mi caso."]
    together = engine.translate_many([Request(t, "es", "en") for t in texts])
    assert [r.text for r in together] == [engine.translate(t, "es", "en").text for t in texts]


def test_paragraph_breaks_and_identifiers_survive(engine):
    text = ("Mi caso es 26-1234-5678.\n\nMi número A es A 201-234-567.\n"
            "Llame a mi hermana al +1 512-555-0199, por favor.")
    result = engine.translate(text, "es", "en").text
    assert result.count("\n\n") == 1 and result.count("\n") == 3
    for identifier in ("26-1234-5678", "A 201-234-567", "+1 512-555-0199"):
        assert identifier in result


def test_no_direct_package_pivots_through_english(engine):
    result = engine.translate("Necesito un médico.", "es", "fr")
    assert result.text and result.made_by == "translate-es_en 1.0 + translate-en_fr 1.0"
    via_english = engine.translate(engine.translate("Necesito un médico.", "es", "en").text, "en", "fr").text
    assert result.text == via_english


def test_a_pair_without_any_way_is_not_an_error(engine):
    assert engine.translate("مرحبا", "ar", "en").text is None
    assert engine.translate("Hello", "en", "en").text == "Hello"


def test_one_translator_per_pair_and_idle_ones_are_unloaded(engine):
    engine.translate("Hola.", "es", "en")
    engine.translate("Adiós.", "es", "en")
    assert engine.loaded() == ["translate-es_en"]
    engine.idle_unload = 0
    assert engine.unload_idle() == ["translate-es_en"] and engine.loaded() == []


def test_web_processes_never_import_ctranslate2(config, database, place, tmp_path):
    """A whole kiosk request cycle, filing included, in a fresh interpreter on this test's database."""
    script = f"""
import sys
from pathlib import Path
from tests import network_guard
network_guard.install()
from kiosk.app import create_app
from kiosk.config import Config
from tests.helpers import BrowserClient, file_complaint, track
app = create_app(Config(secret_key="k" * 40, database_url={config.database_url!r},
                        instance_path=Path({str(tmp_path)!r}), cookie_secure=False, argon2_time_cost=1,
                        argon2_memory_cost=1024))
assert app.test_client().get("/healthz").status_code == 200
kiosk = BrowserClient(app.test_client())
assert kiosk.get("/kiosk/enroll/{register_kiosk(database)}").status_code == 302
receipt = file_complaint(kiosk, language="es", a_number="201234567", pin="2468", words="Tengo frío.")
assert receipt.request.path == "/kiosk/receipt", receipt.request.path
kiosk.choose_language("es")
assert track(kiosk, "201234567", "2468").request.path.startswith("/kiosk/case/")
assert "ctranslate2" not in sys.modules and "sentencepiece" not in sys.modules, "model code in a web process"
print("clean")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0 and "clean" in result.stdout, result.stderr
    with database.sessions() as session:  # filed, and its translation left to a worker
        assert session.scalars(select(Case.description)).all() == ["Tengo frío."]
        assert session.scalars(select(Job.kind)).all() == ["translate"]


# --- translate on write, through durable jobs --------------------------------------

def test_a_kiosk_complaint_is_stored_in_english_by_the_worker(app, kiosk, database, engine):
    file_complaint(kiosk, language="es", words="Tengo dolor. Mi caso es urgente.")
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        pending = session.scalars(select(Translation)).one()
        assert (pending.status, pending.target_language, pending.text) == ("pending", "en", None)
        assert session.scalars(select(Job.kind)).all() == ["translate"]  # stored with the case
    assert run_worker(app) == 1
    with database.sessions() as session:
        translation = session.scalars(select(Translation)).one()
        assert translation.status == "done" and translation.text
        assert translation.made_by == "translate-es_en 1.0" and not translation.human
        assert translation.text == engine.translate(case.description, "es", "en").text
        assert session.scalars(select(Job.status)).all() == ["done"]
        assert not session.get(Case, case.id).needs_interpreter


def test_a_language_without_a_package_marks_the_case_for_an_interpreter(app, kiosk, database, engine):
    file_complaint(kiosk, language="ar", a_number=None, words="الهاتف لا يعمل.")
    run_worker(app)
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.needs_interpreter and case.description == "الهاتف لا يعمل."
        assert session.scalars(select(Translation.status)).all() == ["unavailable"]
        assert session.scalars(select(Job.status)).all() == ["done"]  # not an error


def test_a_correction_is_stored_beside_the_machine_translation(app, kiosk, database, engine):
    file_complaint(kiosk, language="es", words="Tengo frío.")
    run_worker(app)
    with database.transaction() as session:
        machine = session.scalars(select(Translation)).one()
        case_translations.correct(session, machine, "I am cold.", staff="staff:1")
    with database.sessions() as session:
        rows = session.scalars(select(Translation).order_by(Translation.id)).all()
        assert [(r.human, r.text is not None) for r in rows] == [(False, True), (True, True)]
        shown = case_translations.latest(session, rows[0].case_id, "en")
        assert shown.human and shown.text == "I am cold."


def test_a_reply_reaches_the_kiosk_only_translated_and_released(app, kiosk, database, engine):
    file_complaint(kiosk, language="es", a_number="201234567", pin="2468", words="Tengo frío.")
    with database.transaction() as session:
        case = session.scalars(select(Case)).one()
        reply = case_translations.draft_reply(session, case, "We asked the facility for blankets.", staff="staff:1")
        reply_id = reply.id
        with pytest.raises(case_translations.NotReady):
            case_translations.release_reply(session, reply, staff="staff:1")
    run_worker(app)  # the reply into Spanish, then back into English
    with database.transaction() as session:
        reply = session.get(CaseEvent, reply_id)
        forward = case_translations.latest(session, reply.case_id, "es", reply.id)
        back = case_translations.back_translation(session, reply)
        assert forward.text and back.text and back.source_text == forward.text
        assert not reply.visible_to_detainee
        case_translations.release_reply(session, reply, staff="staff:1")
        shown = forward.text
    kiosk.get("/kiosk/finish")
    kiosk.choose_language("es")
    kiosk.get("/kiosk/track")
    kiosk.post("/kiosk/track", {"identifier": "201234567"})
    page = kiosk.post("/kiosk/track/pin", {"pin": "2468"}, follow_redirects=True).get_data(as_text=True)
    from html import escape
    assert escape(shown) in page and "blankets" not in page


def test_the_interpreter_list_names_cases_no_package_can_read(app, kiosk, database, engine, runner):
    file_complaint(kiosk, language="ar", a_number=None, words="الهاتف لا يعمل.")
    arabic = filed_case(database).number
    kiosk.get("/kiosk/finish")
    file_complaint(kiosk, language="es", words="Tengo frío.")  # a package reads this one
    spanish = filed_case(database).number
    run_worker(app)
    listed = runner.invoke(args=["translate", "interpreter-list"]).output
    assert re.fullmatch(rf"{arabic}  ar       TST    complaint since \S+ \S+ UTC  not asked of anyone yet\n",
                        listed), listed
    assert spanish not in listed


def test_installing_a_package_translates_what_waited_for_an_interpreter(app, kiosk, database, runner, archives):
    file_complaint(kiosk, language="es", words="Tengo frío.")
    run_worker(app)  # no package yet
    with database.sessions() as session:
        assert session.scalars(select(Case.needs_interpreter)).one()
    result = install(runner, archives["es_en"])
    assert result.exit_code == 0 and "1 text(s) no package could translate are queued again" in result.output
    run_worker(app)
    with database.sessions() as session:
        translation = session.scalars(select(Translation)).one()
        assert translation.status == "done" and translation.text and translation.made_by == "translate-es_en 1.0"
        assert not session.scalars(select(Case.needs_interpreter)).one()


def test_a_later_message_from_the_detainee_reaches_staff_in_english(app, kiosk, database, engine):
    file_complaint(kiosk, language="es", words="Tengo frío.")
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
    token = open_message_form(kiosk, case.number)
    kiosk.post(f"/kiosk/case/{case.number}/message", {"words": "Todavía no tengo manta.", "submission": token})
    run_worker(app)
    create_staff(app, "sam", "supervisor")
    page = signed_in(app, "sam").get(f"/staff/case/{case.number}").get_data(as_text=True)
    english = engine.translate("Todavía no tengo manta.", "es", "en").text
    assert "Todavía no tengo manta." in page
    assert "machine translation, translate-es_en 1.0" in page and escape(english) in page
