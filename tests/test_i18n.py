"""Every catalog is complete, current and safe; every language renders in its own direction."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk.core.languages import LANGUAGES
from tests.helpers import file_complaint, translated

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
CODES = [language.code for language in LANGUAGES]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def catalog(code):
    with open(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def template_ids():
    with open(TRANSLATIONS / "messages.pot", "rb") as pot:
        return {m.id for m in read_po(pot) if m.id}


def test_the_kiosk_offers_the_fourteen_handbook_languages():
    assert sorted(CODES) == sorted(["en", "es", "ar", "bn", "fr", "ht", "hi", "pt", "pa", "ro", "ru", "zh_Hans", "tr", "vi"])
    assert sorted(p.name for p in TRANSLATIONS.iterdir() if p.is_dir()) == sorted(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_message_is_translated_and_none_is_fuzzy(code):
    # A catalog without its header counts as fuzzy, and pybabel compile silently skips it.
    assert not catalog(code).fuzzy and str(catalog(code).locale) == code, "catalog header missing or fuzzy"
    messages = [m for m in catalog(code) if m.id]
    assert {m.id for m in messages} == template_ids(), "catalog out of step with messages.pot: make update-catalogs"
    untranslated = [m.id for m in messages if not m.string]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("code", CODES)
def test_translations_keep_placeholders_and_add_no_markup(code):
    for message in catalog(code):
        if not message.id:
            continue
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(message.id)), message.id
        assert TAG.findall(message.string) == TAG.findall(message.id), message.id


def test_the_template_is_not_stale_against_the_code(tmp_path):
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "--mapping", "babel.cfg", "--keywords", "_l",
         "--no-location", "--sort-output", "--omit-header", "--output-file", str(fresh), "--project", "kiosk", "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with open(fresh, "rb") as pot:
        extracted = {m.id for m in read_po(pot) if m.id}
    assert extracted == template_ids(), "run: make extract-strings update-catalogs"


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda l: l.code)
def test_each_language_renders_with_its_lang_and_direction(kiosk, language):
    page = kiosk.choose_language(language.code).get_data(as_text=True)
    direction = "rtl" if language.code == "ar" else "ltr"
    assert f'<html lang="{language.html_lang}" dir="{direction}">' in page
    assert translated(language.code, "What do you want to do?") in page
    assert translated(language.code, "Make a complaint") in page


def test_the_language_screen_names_each_language_in_its_own_script(kiosk):
    page = kiosk.get("/kiosk/").get_data(as_text=True)
    for name in ("Español", "العربية", "বাংলা", "Kreyòl ayisyen", "ਪੰਜਾਬੀ", "中文", "Tiếng Việt", "हिन्दी", "Русский"):
        assert name in page


# Templates are compiled once per language with their fixed texts translated (kiosk/templating.py).
# Whatever the page says must be exactly what Jinja's own newstyle gettext would have said.
SAMPLE = ('{{ _("Back") }}|{{ _("Step %(step)d of %(count)d", step=2, count=9) }}'
          '|{{ _("Answers will now come in %(language)s.", language=name) }}|{{ _(dynamic) }}')


@pytest.mark.parametrize("code", ["es", "ar", "zh_Hans"])
def test_compiled_translations_match_what_runtime_gettext_renders(app, code):
    from jinja2 import Environment

    from kiosk.web import i18n

    runtime = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    runtime.install_gettext_translations(i18n.catalog(code), newstyle=True)
    variables = {"name": '<b>"Ünïcode" & co</b>', "dynamic": "Finish"}
    with app.test_request_context("/kiosk/"):
        from flask import g

        g.locale = code
        compiled = app.jinja_env.get_template("kiosk/base.html").environment.from_string(SAMPLE)
        rendered = compiled.render(**variables)
    assert rendered == runtime.from_string(SAMPLE).render(**variables)
    assert translated(code, "Back") in rendered
    assert "&lt;b&gt;" in rendered and "<b>" not in rendered  # variables are still escaped


# The same pass writes out calls of @constant globals with literal arguments (kiosk/templating.py).
CONSTANTS = ('{{ icon("back", "icon flip") }}|{{ icon(name) }}|{{ static_url("kiosk.css") }}'
             '|{{ fixed_url("kiosk.choose_language", code="ar") }}|{{ fixed_url("kiosk.home") ~ "?x" }}')


def test_constant_globals_written_out_at_compile_time_render_as_they_would_at_render_time(app):
    with app.test_request_context("/kiosk/"):
        from flask import g

        g.locale = "es"
        folded = app.jinja_env.get_template("kiosk/base.html").environment.from_string(CONSTANTS)
        assert folded.environment is not app.jinja_env
        as_called = app.jinja_env.from_string(CONSTANTS)  # the base environment folds nothing
        rendered = folded.render(name="file")
        assert rendered == as_called.render(name="file")
    assert '<svg class="icon flip" aria-hidden="true"' in rendered and "/kiosk/language/ar" in rendered


def test_numbers_keep_their_order_on_an_arabic_receipt(kiosk):
    """Phone numbers and codes are isolated left-to-right inside right-to-left sentences: the text
    number reads (555) 555-0100, not 15555550100+."""
    receipt = file_complaint(kiosk, language="ar", category="medical",
                             answers={"urgent": "yes", "since": "today", "raised_with_facility": "not_yet"})
    page = receipt.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert '<bdi dir="ltr">(555) 555-0100</bdi>' in page  # the SMS number, as US numbers are written
    assert '<bdi dir="ltr">+1 512-555-0110</bdi>' in page  # the facility's emergency line


# One word for each role in each language: "case manager" said two ways reads as two people.
CASE_MANAGER = {
    "en": "case manager", "es": "administrador de casos", "pt": "responsável pelo", "ht": "responsab dosye",
    "zh_Hans": "个案经理", "pa": "ਕੇਸ ਮੈਨੇਜਰ", "hi": "केस मैनेजर", "bn": "কেস ম্যানেজার", "ar": "مدير الحالة",
    "fr": "responsable de dossier", "ru": "куратор", "ro": "responsabil", "tr": "dosya sorumlu",
    "vi": "nhân viên phụ trách hồ sơ",
}
STAFF_MEMBER = {
    "en": "staff member", "es": "miembro del personal", "pt": "funcionário", "ht": "anplwaye", "zh_Hans": "工作人员",
    "pa": "ਕਰਮਚਾਰੀ", "hi": "कर्मचारी", "bn": "কর্মী", "ar": "موظف", "fr": "membre du personnel", "ru": "сотрудник",
    "ro": "angajat", "tr": "görevli", "vi": "nhân viên",
}


@pytest.mark.parametrize("code", CODES)
def test_each_role_has_one_word_in_each_language(code):
    for role, words in (("case manager", CASE_MANAGER[code]), ("staff member", STAFF_MEMBER[code])):
        saying_it_otherwise = [message.string for message in catalog(code)
                               if role in str(message.id).lower() and words not in message.string.casefold()]
        assert saying_it_otherwise == [], f"{role} is {words!r} in {code}"
