"""Similar complaints across languages: cases whose English reads alike, filed within two weeks of
each other, grouped whatever their language or facility, for a case manager to confirm or dismiss.

Every case is read in English: a person's translation over the machine's, the words themselves for a
case written in English (kiosk/core/case_translations.py stores both). Each text becomes a TF-IDF
vector over its content words, lower-cased, with English's commonest words dropped and a light
suffix stripped (telephones, telephone -> telephon; working, works -> work); the weights are
computed over the window's own cases, so a word every complaint uses (doctor, in a medical week)
counts for little. Two cases are alike when the cosine of their vectors is at least 0.5.

Why this and not a library: the texts are a sentence or three, a window holds a few thousand, and
the pairs that share a word are found through an inverted index in well under a second in plain
Python. MinHash over word shingles estimates Jaccard similarity, which on texts this short is
too coarse (one word of five changes it by a fifth) and needs a library; scikit-learn's
vectorizer would bring numpy and scipy to the web processes for a few dozen lines. No model is
downloaded: a sentence-embedding model would catch paraphrases this misses (phone / telephone
needs the suffix rule; call / ring it does not catch), at hundreds of MB.

Groups, daily (kiosk/core/patterns_job.py): each case of the window not yet in a group joins the
suggested or confirmed group whose cases in the window it is most alike on average (at least 0.5),
else the cases left are clustered by average linkage (two clusters merge while their cases are
alike on average at least 0.5, which keeps a chain of each-a-bit-alike texts apart). Clusters of two
or more are suggested. A case is in one group at most; a dismissed group's cases are not
suggested again. Running twice changes nothing: every case left out was left out for a reason that
still holds.
"""
from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, text
from kiosk.core.staff_accounts import facility_ids
from kiosk.core.models import (
    Case, Facility, GroupStatus, SimilarGroup, SimilarGroupCase, StaffUser, Translation, TranslationStatus, utcnow,
)

WINDOW = timedelta(days=14)
ALIKE = 0.5  # cosine of two cases' vectors from which they are alike
MAX_REASON = 2000
STAFF_LANGUAGE = "en"

# English's commonest words, and those every complaint says: they tell no complaint from another.
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between
both but by can cannot could did do does doing down during each even every few for from further get got had has
have having he her here hers herself him himself his how i if in into is it its itself just me more most my
myself no nor not now of off on once only or other our ours ourselves out over own please same she should so
some still such than that the their theirs them themselves then there these they this those through to too
under until up very was we were what when where which while who whom why will with would yet you your yours
yourself yourselves dont doesnt didnt cant couldnt wont wouldnt isnt arent wasnt werent havent hasnt hadnt im
ive id ill youre theyre thats theres us one help
""".split())
_WORD = re.compile(r"[a-z]+")
_SUFFIXES = ("ing", "ed", "ies", "es", "s", "e")


def stem(word: str) -> str:
    """One common suffix off, leaving at least 3 letters (telephones -> telephon, worked -> work)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not (suffix == "s" and word.endswith("ss")):
            return word[:-len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def terms(english: str) -> list[str]:
    """The content words of an English text, stemmed."""
    words = _WORD.findall(english.lower().replace("'", "").replace("\u2019", ""))
    return [stem(word) for word in words if word not in STOPWORDS and len(word) > 1]


def vectors(texts: dict[int, str]) -> dict[int, dict[str, float]]:
    """TF-IDF vectors of unit length (sublinear term frequency, smoothed IDF over these texts)."""
    counted = {key: Counter(terms(words)) for key, words in texts.items()}
    document_frequency = Counter(term for found in counted.values() for term in found)
    total = len(counted)
    idf = {term: math.log((1 + total) / (1 + df)) + 1 for term, df in document_frequency.items()}
    result = {}
    for key, found in counted.items():
        weights = {term: (1 + math.log(n)) * idf[term] for term, n in found.items()}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if norm:
            result[key] = {term: w / norm for term, w in weights.items()}
    return result


def alike_pairs(vectors_by_key: dict[int, dict[str, float]], among: set[int]) -> dict[tuple[int, int], float]:
    """Every pair (smaller key first) with cosine >= ALIKE of which at least one key is in ``among``,
    found through an inverted index (only texts sharing a word are compared)."""
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for key, vector in vectors_by_key.items():
        for term, weight in vector.items():
            postings[term].append((key, weight))
    pairs = {}
    for key in among:
        vector = vectors_by_key.get(key)
        if vector is None:
            continue
        dots: dict[int, float] = defaultdict(float)
        for term, weight in vector.items():
            for other, other_weight in postings[term]:
                if other != key:
                    dots[other] += weight * other_weight
        for other, cosine in dots.items():
            if cosine >= ALIKE:
                pairs[min(key, other), max(key, other)] = cosine
    return pairs


# --- the cases' English ---------------------------------------------------------------------

def english(session: Session, since: datetime, until: datetime) -> dict[int, str]:
    """Each case filed in [since, until) that can be read in English, by id: a person's translation of
    its words over the machine's (the newest of each), or its words when it was written in English."""
    return _english(session, and_(Case.created_at >= since, Case.created_at < until))


def english_of(session: Session, case_ids: list[int]) -> dict[int, str]:
    """The English of these cases (those that have one), as ``english`` reads it."""
    return _english(session, Case.id.in_(case_ids)) if case_ids else {}


def _english(session: Session, cases) -> dict[int, str]:
    found = {case_id: words for case_id, words in session.execute(
        select(Case.id, Case.description).where(cases, Case.language == STAFF_LANGUAGE)) if words.strip()}
    translated = session.execute(
        select(Translation.case_id, Translation.text).join(Case, Case.id == Translation.case_id)
        .where(cases, Translation.event_id.is_(None), Translation.target_language == STAFF_LANGUAGE,
               Translation.status == TranslationStatus.DONE, Translation.text.is_not(None))
        .order_by(Translation.human, Translation.id))
    for case_id, words in translated:  # the last one wins: a person's, else the newest
        found[case_id] = words
    return found


# --- suggesting groups ------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggested:
    read: int  # cases of the window read in English
    joined: int  # cases added to an existing group
    new_groups: int
    grouped: int  # cases in the new groups


def suggest(session: Session, now: datetime | None = None) -> Suggested:
    """Groups the cases of the last two weeks (see the module's docstring); returns what it did."""
    now = now or utcnow()
    texts = english(session, now - WINDOW, now)
    membership = {case_id: (group_id, status) for case_id, group_id, status in session.execute(
        select(SimilarGroupCase.case_id, SimilarGroupCase.group_id, SimilarGroup.status)
        .join(SimilarGroup, SimilarGroup.id == SimilarGroupCase.group_id)
        .where(SimilarGroupCase.case_id.in_(list(texts))))} if texts else {}
    readable = {case_id: words for case_id, words in texts.items()
                if membership.get(case_id, (None, None))[1] != GroupStatus.DISMISSED}
    found = vectors(readable)
    ungrouped = sorted(case_id for case_id in found if case_id not in membership)
    pairs = alike_pairs(found, set(ungrouped))
    neighbours: dict[int, dict[int, float]] = defaultdict(dict)
    for (a, b), cosine in pairs.items():
        neighbours[a][b] = neighbours[b][a] = cosine

    members: dict[int, list[int]] = defaultdict(list)  # a live group's cases in the window
    for case_id, (group_id, _status) in membership.items():
        if case_id in found:
            members[group_id].append(case_id)
    joined = []
    for case_id in ungrouped:  # oldest first (ids grow with filing)
        best = _best_group(neighbours[case_id], membership, members)
        if best is not None:
            group_id, similarity = best
            joined.append((group_id, case_id, similarity))
            membership[case_id] = (group_id, GroupStatus.SUGGESTED)
            members[group_id].append(case_id)
    left = [case_id for case_id in ungrouped if case_id not in membership]
    clusters = average_linkage(left, neighbours)
    session.add_all(SimilarGroupCase(group_id=group_id, case_id=case_id, similarity=similarity, added_at=now)
                    for group_id, case_id, similarity in joined)
    for cluster in clusters:
        group = SimilarGroup(status=GroupStatus.SUGGESTED, suggested_at=now)
        session.add(group)
        session.flush()
        session.add_all(SimilarGroupCase(group_id=group.id, case_id=case_id, added_at=now,
                                         similarity=_mean(case_id, [other for other in cluster if other != case_id],
                                                          neighbours))
                        for case_id in cluster)
    session.flush()
    return Suggested(len(texts), len(joined), len(clusters), sum(len(cluster) for cluster in clusters))


def _mean(case_id: int, others: list[int], neighbours: dict[int, dict[int, float]]) -> float:
    return sum(neighbours[case_id].get(other, 0.0) for other in others) / len(others) if others else 0.0


def _best_group(alike: dict[int, float], membership: dict, members: dict[int, list[int]]) -> tuple[int, float] | None:
    """The live group whose cases in the window this case is most alike on average, if at least ALIKE."""
    candidates = {membership[other][0] for other in alike if other in membership}
    scored = [(sum(alike.get(member, 0.0) for member in members[group_id]) / len(members[group_id]), -group_id)
              for group_id in candidates if members[group_id]]
    if not scored:
        return None
    similarity, negative_id = max(scored)
    return (-negative_id, similarity) if similarity >= ALIKE else None


def average_linkage(keys: list[int], neighbours: dict[int, dict[int, float]]) -> list[list[int]]:
    """Clusters of two or more keys: merged pair by pair, the most alike first, while the mean cosine
    between their keys (absent pairs count 0) is at least ALIKE. Each cluster's keys sorted."""
    cluster_of = {key: key for key in keys}
    clusters = {key: [key] for key in keys}
    links: dict[int, dict[int, float]] = defaultdict(dict)  # cluster -> cluster -> sum of cosines
    for key in keys:
        for other, cosine in neighbours.get(key, {}).items():
            if other in cluster_of:
                links[key][other] = cosine
    heap = [(-cosine, a, b) for a in links for b, cosine in links[a].items() if a < b]
    heapq.heapify(heap)
    while heap:
        negative, a, b = heapq.heappop(heap)
        if a not in clusters or b not in clusters:
            continue  # merged away since
        mean = links[a].get(b, 0.0) / (len(clusters[a]) * len(clusters[b]))
        if abs(mean + negative) > 1e-12:
            continue  # a stale entry: the pair's mean changed when one of them grew
        if mean < ALIKE:
            break
        clusters[a].extend(clusters.pop(b))
        for other, total in links.pop(b).items():
            links[other].pop(b, None)
            if other != a:
                links[a][other] = links[a].get(other, 0.0) + total
                links[other][a] = links[a][other]
        links[a].pop(a, None)
        for other, total in links[a].items():
            heapq.heappush(heap, (-total / (len(clusters[a]) * len(clusters[other])), min(a, other), max(a, other)))
    return sorted(sorted(cluster) for cluster in clusters.values() if len(cluster) > 1)


# --- what staff see and do --------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    case_id: int
    number: str
    facility_id: int
    facility_code: str
    language: str
    category: str
    filed_at: datetime
    similarity: float
    added_at: datetime


def groups(session: Session, visible: list[int] | None, statuses=(GroupStatus.SUGGESTED,),
           limit: int = 50) -> list[SimilarGroup]:
    """Groups of these statuses with a case at a facility the viewer works (None: every one), newest first."""
    query = select(SimilarGroup).where(SimilarGroup.status.in_([str(s) for s in statuses]))
    if visible is not None:
        query = query.where(exists(select(SimilarGroupCase.id).join(Case, Case.id == SimilarGroupCase.case_id)
                                   .where(SimilarGroupCase.group_id == SimilarGroup.id,
                                          Case.facility_id.in_(visible))))
    return list(session.scalars(query.order_by(SimilarGroup.suggested_at.desc(), SimilarGroup.id.desc())
                                .limit(limit)))


def members(session: Session, group_ids: list[int]) -> dict[int, list[Member]]:
    """Each group's cases, oldest first."""
    found: dict[int, list[Member]] = {group_id: [] for group_id in group_ids}
    if not group_ids:
        return found
    rows = session.execute(
        select(SimilarGroupCase.group_id, Case.id, Case.number, Case.facility_id, Facility.code, Case.language,
               Case.category, Case.created_at, SimilarGroupCase.similarity, SimilarGroupCase.added_at)
        .join(Case, Case.id == SimilarGroupCase.case_id).join(Facility, Facility.id == Case.facility_id)
        .where(SimilarGroupCase.group_id.in_(group_ids)).order_by(Case.created_at, Case.id))
    for group_id, *fields in rows:
        found[group_id].append(Member(*fields))
    return found


def case_ids(session: Session, group: SimilarGroup) -> list[int]:
    """The ids of the group's cases, oldest first: what a systemic issue is made of."""
    return [member.case_id for member in members(session, [group.id])[group.id]]


def may_decide(visible: list[int] | None, found: list[Member]) -> bool:
    """Only someone who may open every case of a group judges whether they are one problem."""
    return visible is None or all(member.facility_id in visible for member in found)


NOT_YOURS = "Only someone who works every facility of this group decides on it."


def _decide(session: Session, group: SimilarGroup, status: GroupStatus, by: StaffUser, reason: str | None,
            remote_addr: str | None) -> None:
    if not may_decide(facility_ids(by), members(session, [group.id])[group.id]):
        raise ValueError(NOT_YOURS)
    done = session.execute(update(SimilarGroup).where(SimilarGroup.id == group.id,
                                                      SimilarGroup.status == GroupStatus.SUGGESTED)
                           .values(status=status, decided_at=utcnow(), decided_by_id=by.id, reason=reason)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ValueError("Someone decided on this group a moment ago.")
    audit.record(session, actors.staff(by), f"similar_group.{status}", remote_addr=remote_addr, group_id=group.id,
                 case_ids=case_ids(session, group), **({"reason": reason} if reason else {}))


def confirm(session: Session, group: SimilarGroup, *, by: StaffUser, remote_addr: str | None = None) -> None:
    _decide(session, group, GroupStatus.CONFIRMED, by, None, remote_addr)


def dismiss(session: Session, group: SimilarGroup, reason: str, *, by: StaffUser,
            remote_addr: str | None = None) -> None:
    reason = text.clean(reason, limit=MAX_REASON, what="reason for dismissing the group", required=True)
    _decide(session, group, GroupStatus.DISMISSED, by, reason, remote_addr)
