"""Similar complaints across languages: "the telephones do not work" written in Spanish, Punjabi and
Haitian Creole lands in one group through its English, and nothing else does; a person who works every
facility of the group confirms or dismisses it."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.core import similar_complaints
from kiosk.core.identifiers import case_number
from kiosk.core.models import (
    Case, Facility, GroupStatus, SimilarGroup, SimilarGroupCase, Translation, TranslationStatus, utcnow,
)
from kiosk.core.triage import triage
from tests.helpers import ROUTINE, audited, create_staff, signed_in

# (serial, facility, language, the detainee's words, their English, a person's translation?, days ago)
TELEPHONES = [
    (1, "TST", "es", "Los teléfonos no funcionan y no puedo llamar a mi abogado.",
     "The telephones do not work and I cannot call my lawyer.", False, 3),
    (2, "OTH", "pa", "ਟੈਲੀਫੋਨ ਕੰਮ ਨਹੀਂ ਕਰਦੇ, ਅਸੀਂ ਆਪਣੇ ਪਰਿਵਾਰਾਂ ਨੂੰ ਫੋਨ ਨਹੀਂ ਕਰ ਸਕਦੇ।",
     "The telephones don't work, we can't call our families.", True, 2),
    (3, "THR", "ht", "Telefòn yo pa mache, nou pa ka rele pèsonn.",
     "The telephones are not working, we cannot call anyone.", False, 1),
]
NOISE = [
    (10, "TST", "en", "I need to see a doctor for the pain in my tooth.", None, False, 2),
    (11, "OTH", "es", "La comida llega fría y las porciones son pequeñas.",
     "The food arrives cold and the portions are small.", False, 4),
    (12, "THR", "fr", "Un agent m'a crié dessus au réfectoire.", "An officer shouted at me in the dining hall.", False, 5),
    (13, "TST", "pt", "Faz muito frio à noite e não temos cobertores.",
     "It is very cold at night and we have no blankets.", True, 1),
    (14, "OTH", "ru", "Мои вещи потеряли, когда я приехал.", "My belongings were lost when I arrived.", False, 6),
    (15, "THR", "ar", "لا أستطيع ممارسة ديني، لا يوجد وقت للصلاة.",
     "I cannot practise my religion, there is no time for prayer.", False, 2),
    (16, "TST", "vi", "Nhà vệ sinh trong khu bị tắc nhiều ngày.", "The toilets in the unit have been blocked for days.",
     False, 3),
    (17, "OTH", "bn", "আমার প্রতিবন্ধিতা আছে এবং আমার একটি হুইলচেয়ার দরকার।",
     "I have a disability and I need a wheelchair.", False, 7),
    (18, "THR", "ro", "Vreau să-mi sun avocatul despre dosarul meu.", "I want to call my lawyer about my case.", False, 2),
    (19, "TST", "tr", "Gözlüklerimi aldılar ve geri vermediler.", "They took my glasses and did not give them back.",
     False, 8),
    (20, "OTH", "es", "Los teléfonos no funcionan.", "The telephones do not work.", False, 20),  # before the window
    (21, "THR", "hi", "टेलीफोन काम नहीं करते।", None, False, 1),  # not yet translated: nothing to read
]


def number(serial: int) -> str:
    return case_number(26, serial)


def add_written(database, rows, now=None) -> None:
    """Cases with their words, and where given their English (a machine's or a person's)."""
    now = now or utcnow()
    with database.transaction() as session:
        places = dict(session.execute(select(Facility.code, Facility.id)).all())
        for serial, code, language, words, english, by_person, days_ago in rows:
            filed = now - timedelta(days=days_ago)
            decision = triage("legal_access", ROUTINE)
            case = Case(number=number(serial), facility_id=places[code], language=language, category="legal_access",
                        answers=ROUTINE, description=words, is_emergency=False, priority=decision.priority,
                        due_at=decision.due_at(filed), created_at=filed, updated_at=filed, completed_at=filed)
            session.add(case)
            session.flush()
            if english is not None:
                session.add(Translation(case_id=case.id, source_language=language, target_language="en",
                                        source_text=words, text=english, status=TranslationStatus.DONE,
                                        human=by_person, made_by="staff:1" if by_person else "m2m100_418M 1.0",
                                        finished_at=filed))
            elif language != "en":
                session.add(Translation(case_id=case.id, source_language=language, target_language="en",
                                        source_text=words, status=TranslationStatus.PENDING))


def grouped(database) -> list[tuple[str, list[str]]]:
    """(status, case numbers) of every group."""
    with database.sessions() as session:
        rows = session.execute(select(SimilarGroup.id, SimilarGroup.status, Case.number)
                               .join(SimilarGroupCase, SimilarGroupCase.group_id == SimilarGroup.id)
                               .join(Case, Case.id == SimilarGroupCase.case_id).order_by(SimilarGroup.id, Case.number))
        found: dict[int, tuple[str, list[str]]] = {}
        for group_id, status, case in rows:
            found.setdefault(group_id, (status, []))[1].append(case)
    return list(found.values())


def suggest(database, now=None) -> similar_complaints.Suggested:
    with database.transaction() as session:
        return similar_complaints.suggest(session, now)


@pytest.fixture
def written(app, database, people):
    with database.transaction() as session:
        session.add(Facility(code="THR", name="Third Facility", timezone="America/Denver"))
    add_written(database, TELEPHONES + NOISE)


def test_telephones_that_do_not_work_in_three_languages_are_grouped_and_nothing_else(database, written):
    found = suggest(database)
    assert grouped(database) == [("suggested", sorted(number(serial) for serial, *_rest in TELEPHONES))]
    assert (found.new_groups, found.grouped, found.joined) == (1, 3, 0)
    assert found.read == len(TELEPHONES) + len(NOISE) - 2  # the one filed 20 days ago and the untranslated one
    again = suggest(database)  # nothing new: nothing changes
    assert (again.new_groups, again.joined) == (0, 0) and len(grouped(database)) == 1


def test_a_person_who_works_every_facility_of_a_group_confirms_it(app, database, written):
    suggest(database)
    with database.sessions() as session:
        group_id = session.scalar(select(SimilarGroup.id))
    create_staff(app, "nia", "case_manager", [])
    assert signed_in(app, "nia").get(f"/staff/patterns/similar/{group_id}").status_code == 403

    chris = signed_in(app, "chris")  # works TST only
    assert f"/staff/patterns/similar/{group_id}" in chris.get("/staff/patterns").get_data(as_text=True)
    page = chris.get(f"/staff/patterns/similar/{group_id}").get_data(as_text=True)
    assert "The telephones do not work and I cannot call my lawyer." in page
    assert "The telephones don&#39;t work" not in page and page.count("a case you may not open") == 2
    assert "Only someone who works every facility of this group decides on it." in page
    assert [entry.case_id is not None for entry in audited(database, "case.viewed_in_group")] == [True]
    chris.post(f"/staff/patterns/similar/{group_id}/confirm", follow_redirects=True)
    assert "Only someone who works every facility of this group decides on it." in chris.text
    assert grouped(database)[0][0] == "suggested" and len(audited(database, "similar_group.decision_refused")) == 1

    sam = signed_in(app, "sam")
    page = sam.get(f"/staff/patterns/similar/{group_id}").get_data(as_text=True)
    assert all(english.replace("'", "&#39;") in page for *_s, english, _p, _d in TELEPHONES)
    sam.post(f"/staff/patterns/similar/{group_id}/confirm", follow_redirects=True)
    assert "Group confirmed: these cases are one problem." in sam.text and grouped(database)[0][0] == "confirmed"
    (entry,) = audited(database, "similar_group.confirmed")
    assert entry.detail["group_id"] == group_id and len(entry.detail["case_ids"]) == 3
    sam.get(f"/staff/patterns/similar/{group_id}")
    sam.post(f"/staff/patterns/similar/{group_id}/dismiss", {"reason": "late"}, follow_redirects=True)
    assert "Someone decided on this group a moment ago." in sam.text and grouped(database)[0][0] == "confirmed"

    # Another complaint of broken telephones the next day, written in English: it joins the confirmed group.
    add_written(database, [(30, "TST", "en", "Telephones not working again in our unit, cannot call.", None, False, 0)])
    later = suggest(database, utcnow() + timedelta(minutes=1))
    assert (later.joined, later.new_groups) == (1, 0) and number(30) in grouped(database)[0][1]
    assert "added since the decision" in sam.get(f"/staff/patterns/similar/{group_id}").get_data(as_text=True)


def test_a_dismissed_group_is_not_suggested_again(app, database, written):
    suggest(database)
    with database.sessions() as session:
        group_id = session.scalar(select(SimilarGroup.id))
    sam = signed_in(app, "sam")
    sam.get(f"/staff/patterns/similar/{group_id}")
    sam.post(f"/staff/patterns/similar/{group_id}/dismiss", {"reason": ""}, follow_redirects=True)
    assert "Write the reason for dismissing the group." in sam.text and grouped(database)[0][0] == "suggested"
    sam.post(f"/staff/patterns/similar/{group_id}/dismiss", {"reason": "Different units, different phones."},
             follow_redirects=True)
    assert "Group dismissed" in sam.text and grouped(database)[0][0] == "dismissed"
    assert audited(database, "similar_group.dismissed")[0].detail["reason"] == "Different units, different phones."
    add_written(database, [(31, "OTH", "en", "The telephones do not work at all.", None, False, 0)])
    assert suggest(database, utcnow() + timedelta(minutes=1)).new_groups == 0
    assert [status for status, _cases in grouped(database)] == ["dismissed"]
    assert "No group waits for a decision." in sam.get("/staff/patterns").get_data(as_text=True)


def test_words_are_compared_by_their_stems_without_common_words():
    assert similar_complaints.terms("The telephones don't work; the telephone is not working!") == [
        "telephon", "work", "telephon", "work"]
    assert similar_complaints.stem("families") == similar_complaints.stem("family") == "family"
    assert similar_complaints.stem("classes") == similar_complaints.stem("class") == "class"
    assert similar_complaints.terms("") == [] and similar_complaints.terms("\x00 ☎ 電話") == []


def alike(vectors: dict[int, dict[str, float]]) -> dict[int, dict[int, float]]:
    pairs = similar_complaints.alike_pairs(vectors, set(vectors))
    found: dict[int, dict[int, float]] = {key: {} for key in vectors}
    for (a, b), cosine in pairs.items():
        found[a][b] = found[b][a] = cosine
    return found


def test_average_linkage_keeps_a_chain_of_partly_alike_texts_apart():
    # A is like B (0.6), B like C (0.8), A not like C: B and C group, A stays out (0.3 on average);
    # single linkage would chain all three.
    chain = {1: {"x": 1.0}, 2: {"x": 0.6, "y": 0.8}, 3: {"y": 1.0}}
    assert similar_complaints.average_linkage([1, 2, 3], alike(chain), chain) == ([[2, 3]], {})
    tight = {1: {"x": 1.0}, 2: {"x": 0.8, "y": 0.6}, 3: {"x": 0.6, "y": 0.8}}
    assert similar_complaints.average_linkage([1, 2, 3], alike(tight), tight) == ([[1, 2, 3]], {})
    apart = {1: {"x": 1.0}, 2: {"y": 1.0}}
    assert similar_complaints.average_linkage([1, 2], alike(apart), apart) == ([], {})


def test_new_cases_alike_to_each_other_join_a_group_together_or_not_at_all():
    # Group 7 holds cases 1 and 2, group 8 cases 3 and 4. New cases 5 and 6 are alike, and as a pair alike
    # to group 7 (0.79 on average): both join it. Case 9 is like case 4 (0.7) but not 3: 0.35 to group 8 on
    # average, it stays out. Two groups are never merged.
    vectors = {1: {"t": 1.0}, 2: {"t": 0.8, "u": 0.6}, 3: {"v": 1.0}, 4: {"w": 1.0},
               5: {"t": 0.9, "z": 0.436}, 6: {"t": 0.85, "z": 0.527}, 9: {"w": 0.7, "q": 0.714}}
    groups = {7: [1, 2], 8: [3, 4]}
    found = similar_complaints.average_linkage([5, 6, 9], alike(vectors), vectors, groups)
    assert found == ([], {7: [5, 6]})


def test_groups_are_built_the_same_whatever_the_case_statuses(database, written):
    """Closed cases count as much as open ones: a pattern is about what happened, not about the work left."""
    with database.transaction() as session:
        for case in session.scalars(select(Case).where(Case.number.in_([number(1), number(2)]))):
            case.status = "resolved"
    suggest(database)
    assert grouped(database) == [("suggested", sorted(number(serial) for serial, *_rest in TELEPHONES))]
    assert GroupStatus.SUGGESTED == "suggested"
