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
downloaded: a sentence-embedding model would catch the paraphrases this misses (phone and telephone,
call and ring are different words to it), at hundreds of MB.

Groups, daily (kiosk/core/patterns_job.py): the window's cases not yet in a group, and the suggested
or confirmed groups (their cases in the window), are clustered by average linkage: of two clusters
holding a pair of alike cases, the most alike two are merged first, while the mean cosine over every
pair of their cases is at least 0.5 (which keeps a chain of each-a-bit-alike texts apart); two groups
already made are never merged. So a new case joins a group (with the new cases alike to it), or
forms a new one with other new cases, or stays alone; new clusters of two or more are suggested. A
case is in one group at most; a dismissed group's cases are not suggested again. Running twice
changes nothing: every case left out was left out for a reason that still holds.
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
    decided = plan(texts, membership)
    session.add_all(SimilarGroupCase(group_id=group_id, case_id=case_id, similarity=similarity, added_at=now)
                    for group_id, case_id, similarity in decided.joined)
    for cluster in decided.clusters:
        group = SimilarGroup(status=GroupStatus.SUGGESTED, suggested_at=now)
        session.add(group)
        session.flush()
        session.add_all(SimilarGroupCase(group_id=group.id, case_id=case_id, added_at=now,
                                         similarity=decided.mean(case_id, cluster)) for case_id in cluster)
    session.flush()
    return Suggested(len(texts), len(decided.joined), len(decided.clusters),
                     sum(len(cluster) for cluster in decided.clusters))


@dataclass(frozen=True)
class Plan:
    joined: list[tuple[int, int, float]]  # (group id, case id, its mean cosine to the group's cases)
    clusters: list[list[int]]  # new groups' case ids
    vectors: dict[int, dict[str, float]]  # case id -> its TF-IDF vector

    def mean(self, case_id: int, cluster: list[int]) -> float:
        """The case's mean cosine to the cluster's other cases."""
        others = _summed(self.vectors, [other for other in cluster if other != case_id])
        count = len(cluster) - (case_id in cluster)
        return sum(w * others.get(term, 0.0) for term, w in self.vectors[case_id].items()) / count if count else 0.0


def plan(texts: dict[int, str], membership: dict[int, tuple[int, str]]) -> Plan:
    """What suggest does with the window's English (by case id) and the groups its cases are in already
    (case id -> (group id, status)), without the database."""
    readable = {case_id: words for case_id, words in texts.items()
                if membership.get(case_id, (None, None))[1] != GroupStatus.DISMISSED}
    found = vectors(readable)
    ungrouped = sorted(case_id for case_id in found if case_id not in membership)
    neighbours: dict[int, dict[int, float]] = defaultdict(dict)
    for (a, b), cosine in alike_pairs(found, set(ungrouped)).items():
        neighbours[a][b] = neighbours[b][a] = cosine
    groups: dict[int, list[int]] = defaultdict(list)  # a live group's cases in the window
    for case_id, (group_id, _status) in membership.items():
        if case_id in found:
            groups[group_id].append(case_id)
    clusters, grown = average_linkage(ungrouped, neighbours, found, groups)
    decided = Plan([], clusters, found)
    for group_id, added in grown.items():
        everyone = groups[group_id] + added
        decided.joined.extend((group_id, case_id, decided.mean(case_id, everyone)) for case_id in added)
    return decided


def average_linkage(keys: list[int], neighbours: dict[int, dict[int, float]], vectors_by_key: dict[int, dict[str, float]],
                    groups: dict[int, list[int]] | None = None) -> tuple[list[list[int]], dict[int, list[int]]]:
    """Clusters keys, and groups already made (each a cluster from the start): of the clusters that hold
    a pair of alike keys (``neighbours``), the two most alike are merged, then the next two, while the
    mean cosine over every pair of their keys is at least ALIKE; two groups already made are never
    merged. The mean is exact and cheap: that of all pairs of A x B is the dot product of A's summed
    vectors with B's, over |A| x |B|. Returns the new clusters of two or more keys (each sorted) and,
    per group, the keys that joined it (sorted)."""
    clusters: dict[int, list[int]] = {}  # each named by one of its keys
    group_of: dict[int, int | None] = {}
    cluster_of: dict[int, int] = {}
    for group_id, found in (groups or {}).items():
        if found:
            name = min(found)
            clusters[name], group_of[name] = list(found), group_id
            cluster_of.update(dict.fromkeys(found, name))
    for key in keys:
        clusters[key], group_of[key], cluster_of[key] = [key], None, key
    summed = {name: _summed(vectors_by_key, found) for name, found in clusters.items()}
    free = set(keys)
    adjacent: dict[int, set[int]] = defaultdict(set)
    for key in keys:
        for other in neighbours.get(key, {}):
            if other in cluster_of and cluster_of[other] != key:
                adjacent[key].add(cluster_of[other])
                adjacent[cluster_of[other]].add(key)

    def mergeable(a: int, b: int) -> bool:
        return group_of[a] is None or group_of[b] is None

    def entry(a: int, b: int) -> tuple[float, int, int, int, int]:
        """A heap entry for the pair, with the sizes it was computed at (to tell a stale one)."""
        small, large = sorted((summed[a], summed[b]), key=len)
        dot = sum(weight * large.get(term, 0.0) for term, weight in small.items())
        a, b = min(a, b), max(a, b)
        return -dot / (len(clusters[a]) * len(clusters[b])), a, b, len(clusters[a]), len(clusters[b])

    heap = [entry(a, b) for a in adjacent for b in adjacent[a] if a < b and mergeable(a, b)]
    heapq.heapify(heap)
    while heap:
        negative, a, b, size_a, size_b = heapq.heappop(heap)
        if a not in clusters or b not in clusters or (len(clusters[a]), len(clusters[b])) != (size_a, size_b):
            continue  # merged away since, or stale: one of them grew after this entry was made
        if -negative < ALIKE:
            break
        keep, gone = (b, a) if group_of[b] is not None else (a, b)  # a group keeps its name
        clusters[keep].extend(clusters.pop(gone))
        for term, weight in summed.pop(gone).items():
            summed[keep][term] = summed[keep].get(term, 0.0) + weight
        for other in adjacent.pop(gone):
            adjacent[other].discard(gone)
            if other != keep:
                adjacent[keep].add(other)
                adjacent[other].add(keep)
        adjacent[keep].discard(gone)
        for other in adjacent[keep]:
            if mergeable(keep, other):
                heapq.heappush(heap, entry(keep, other))
    new = sorted(sorted(found) for name, found in clusters.items() if group_of[name] is None and len(found) > 1)
    grown = {group_of[name]: sorted(free.intersection(found))
             for name, found in clusters.items() if group_of[name] is not None and free.intersection(found)}
    return new, grown


def _summed(vectors_by_key: dict[int, dict[str, float]], keys: list[int]) -> dict[str, float]:
    total: dict[str, float] = defaultdict(float)
    for key in keys:
        for term, weight in vectors_by_key[key].items():
            total[term] += weight
    return dict(total)


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
