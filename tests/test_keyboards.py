"""The keyboards' data: layouts per language, the pinyin dictionary builder, the phonetic tables
and how the kiosk serves them."""
from __future__ import annotations

import gzip
import json

import pytest

from kiosk.core import languages
from kiosk.keyboards import GENERATED, build, layouts, phonetic, pinyin

JIEBA_LINES = ["的 318825 uj", "投诉 6000 v", "投 3000 v", "诉 2000 v", "头 5000 n", "偷诉 1 x",
               "医疗 4000 n", "医 3500 n", "疗 900 v", "行 7000 v", "银行 3000 n", "银 800 n",
               "abc 5 eng", "投诉书 2 n"]
READINGS = {"的": ["de", "di"], "投": ["tou"], "诉": ["su"], "头": ["tou"], "偷": ["tou"], "医": ["yi"],
            "疗": ["liao"], "行": ["xing", "hang"], "银": ["yin"], "书": ["shu"]}
WORDS = {"投诉": ["tou", "su"], "偷诉": ["tou", "su"], "医疗": ["yi", "liao"], "银行": ["yin", "hang"],
         "投诉书": ["tou", "su", "shu"]}


def built(**limits):
    return pinyin.entries(pinyin.frequencies(JIEBA_LINES), READINGS.get, WORDS.get, **limits)


def test_the_dictionary_lists_characters_and_words_most_frequent_first():
    rows = built()
    assert rows[0] == ("的", "de")
    assert rows.index(("投诉", "tou'su")) < rows.index(("头", "tou")) < rows.index(("医疗", "yi'liao")) < rows.index(("投", "tou"))
    # A word is read in context: 银行 is yin'hang, though 行 alone is first xing.
    assert ("银行", "yin'hang") in rows and rows.index(("行", "xing")) < rows.index(("行", "hang"))
    # A character's rarer reading comes after every common entry.
    assert rows[-1] in {("的", "di"), ("行", "hang")} and rows.index(("的", "di")) > rows.index(("银", "yin"))
    assert not any(word == "abc" for word, _ in rows)


def test_the_dictionary_keeps_only_words_made_of_its_characters_within_its_limits():
    rows = built(characters=8)  # 书 and 偷 are not among the 8 commonest characters
    words = {word for word, _ in rows}
    assert "投诉书" not in words and "偷诉" not in words and "书" not in words
    assert len([w for w in words if len(w) > 1]) == 3
    assert len([w for w, _ in built(words=1) if len(w) > 1]) == 1


def test_the_dictionary_text_is_one_candidate_a_line():
    assert pinyin.text([("投诉", "tou'su"), ("头", "tou")]) == "投诉\ttou'su\n头\ttou\n"


def test_the_phonetic_tables_follow_the_scheme():
    scheme = {"vowels": {"अ": "a", "आ": "A"}, "vowel_marks": {"ा": "A"}, "consonants": {"म": "m"},
              "extra_consonants": {}, "yogavaahas": {"ं": "M"}, "symbols": {"१": "1", "।": "|"},
              "alternates": {"A": ["aa"]}, "virama": {"्": ""}}
    table = phonetic.table(scheme, lambda text: text)
    assert table["tokens"]["aa"] == ["v", "आ", "ा"] == table["tokens"]["A"]
    assert table["tokens"]["m"] == ["c", "म", ""] and table["virama"] == "्" and table["longA"] == "ा"
    assert "1" not in table["tokens"] and "|" not in table["tokens"]


@pytest.mark.parametrize("code", sorted(languages.BY_CODE))
def test_every_language_has_its_layouts_on_a_grid(code):
    chosen = layouts.for_language(code)
    assert chosen and len({layout.name for layout in chosen}) == len(chosen)
    for layout in chosen:
        assert layout.grid_width() <= 26, layout.name  # at most 13 keys a row
        data = json.loads(layouts.as_json(code))[chosen.index(layout)]
        assert data["cols"] == layout.grid_width() and data["pages"][0]


def test_the_generated_tables_are_built_and_gzipped():
    for name in layouts.tables():
        content = (GENERATED / name).read_bytes()
        assert gzip.decompress((GENERATED / f"{name}.gz").read_bytes()) == content
    lines = (GENERATED / "pinyin-dict.txt").read_text(encoding="utf-8").splitlines()
    assert "投诉\ttou'su" in lines and "医疗\tyi'liao" in lines
    assert len(lines) > pinyin.CHARACTERS


def test_the_build_writes_every_table_a_layout_loads(tmp_path, monkeypatch):
    monkeypatch.setattr(pinyin, "build", lambda: "投诉\ttou'su\n")
    assert build.main([str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == layouts.tables() | {f"{n}.gz" for n in layouts.tables()}
    hindi = json.loads((tmp_path / "phonetic-hi.json").read_text(encoding="utf-8"))
    assert hindi["tokens"]["m"][1] == "म" and hindi["tokens"]["e"][2] == "े"


def test_the_kiosk_serves_a_table_gzipped_for_a_year(kiosk):
    page = kiosk.get("/kiosk/language/zh_Hans", follow_redirects=True)
    assert page.status_code == 200
    response = kiosk.get("/kiosk/keyboards/pinyin-dict.txt?v=1", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    assert response.cache_control.max_age == 365 * 24 * 3600
    assert "投诉\ttou'su" in gzip.decompress(response.data).decode("utf-8")
    plain = kiosk.get("/kiosk/keyboards/phonetic-hi.json")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers and plain.json["virama"]


@pytest.mark.parametrize("name", ["../keyboards/layouts.py", "pinyin-dict.txt.gz", "nothing.txt", "phonetic-xx.json"])
def test_anything_but_a_table_is_not_found(kiosk, name):
    response = kiosk.get(f"/kiosk/keyboards/{name}")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)
