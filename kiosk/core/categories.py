"""What a complaint can be about, and the tap-to-answer questions asked for each.

Answers are stored as codes (``{"urgent": "yes", "since": "this_week"}``), never
as text, so staff read them in English whatever language the detainee used.
The English words here are the staff's; the kiosk has its own plain wording.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    code: str
    icon: str
    staff_label: str


CATEGORIES: tuple[Category, ...] = (
    Category("medical", "medical", "Medical care"),
    Category("legal_access", "legal", "Lawyer, phone and legal access"),
    Category("safety", "safety", "Safety, abuse or sexual abuse"),
    Category("living_conditions", "living", "Living conditions (crowding, sanitation, temperature)"),
    Category("food", "food", "Food"),
    Category("property", "property", "Property"),
    Category("communication", "mail", "Mail, visits and communication"),
    Category("staff_conduct", "staff", "Staff conduct"),
    Category("religion", "religion", "Religion"),
    Category("disability", "disability", "Disability or accommodation"),
    Category("other", "other", "Other"),
)
CATEGORY_CODES = frozenset(c.code for c in CATEGORIES)


@dataclass(frozen=True)
class Question:
    key: str
    staff_label: str
    # (answer code, icon, staff's English for the answer)
    options: tuple[tuple[str, str, str], ...]
    only_for: frozenset[str] = frozenset()  # empty: asked for every category

    def applies_to(self, category: str) -> bool:
        return not self.only_for or category in self.only_for

    def option_codes(self) -> frozenset[str]:
        return frozenset(code for code, _icon, _label in self.options)


YES_NO = (("yes", "yes", "Yes"), ("no", "no", "No"))

# Order matters: "urgent" comes early so the emergency screen shows at once.
QUESTIONS: tuple[Question, ...] = (
    Question(
        "safety_kind",
        "What happened",
        (
            ("detainee_violence", "violence", "Violence or threats by another detainee"),
            ("staff_violence", "staff", "Violence or threats by staff"),
            ("sexual_abuse", "abuse", "Sexual abuse or harassment (PREA)"),
            ("other_danger", "alert", "Other danger"),
        ),
        only_for=frozenset({"safety"}),
    ),
    Question("urgent", "Urgent now", YES_NO),
    Question(
        "since",
        "Since when",
        (
            ("today", "today", "Today"),
            ("this_week", "week", "This week"),
            ("this_month", "month", "This month"),
            ("longer", "longer", "Longer than a month"),
        ),
    ),
    Question(
        "raised_with_facility",
        "Already raised with the facility",
        (
            ("not_yet", "nottold", "Not yet"),
            ("told_staff", "told", "Told facility staff"),
            ("grievance_filed", "grievance", "Filed a written grievance"),
        ),
    ),
)
QUESTIONS_BY_KEY = {q.key: q for q in QUESTIONS}


def questions_for(category: str) -> list[Question]:
    return [q for q in QUESTIONS if q.applies_to(category)]


def valid_answers(category: str, answers: dict) -> bool:
    """Every question for the category answered with one of its own codes, nothing else."""
    expected = questions_for(category)
    return set(answers) == {q.key for q in expected} and all(
        answers[q.key] in q.option_codes() for q in expected
    )


def valid_so_far(category: str, answers: dict) -> bool:
    """Some of the category's questions answered, each with one of its own codes (a report stored early)."""
    expected = {q.key: q for q in questions_for(category)}
    return category in CATEGORY_CODES and all(
        key in expected and value in expected[key].option_codes() for key, value in answers.items())


def category_label(code: str) -> str:
    return next((c.staff_label for c in CATEGORIES if c.code == code), code)


def answers_in_english(answers: dict) -> list[tuple[str, str]]:
    """The structured answers as (question, answer) in the staff's English."""
    rows = []
    for question in QUESTIONS:
        if question.key in answers:
            label = next((l for code, _i, l in question.options if code == answers[question.key]), answers[question.key])
            rows.append((question.staff_label, label))
    return rows
