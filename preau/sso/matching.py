"""Who an IdP's assertion names, as pure functions (no database, no SAML): read the
attributes, turn them into lookup keys, and judge the accounts found.

EduConnect sends `FrEduCtRefId` values `{AAF}<académie code>|…|<feed id>` (several: one per
académie and role where the person is known) and `FrEduCtPersonAffiliation` (`resp1d`,
`resp2d`: a legal guardian; `eleve1d`, `eleve2d`: a pupil). An académie portal sends the
person's académie e-mail (`ctemail`, `mail`) or an attribute holding the feed's id.
`preau.sso.actions.match_accounts` runs the queries these keys describe, then `judge`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from preau.accounts.models import Profile, State
from preau.sso.models import Outcome

AAF_PREFIX = "{AAF}"
RELATIVE_AFFILIATIONS = frozenset({"resp1d", "resp2d"})
PUPIL_AFFILIATIONS = frozenset({"eleve1d", "eleve2d"})
STAFF_PROFILES = frozenset({Profile.TEACHER, Profile.PERSONNEL})
# States that may not log in through an IdP. Pre-deleted accounts may still use a password
# to save their data, but are not reopened by a federated login.
REFUSED_STATES = frozenset({State.BLOCKED, State.PREDELETED, State.DELETED})


@dataclass(frozen=True)
class RefId:
    """One `{AAF}` value of FrEduCtRefId: the académie's code and the feed's id."""

    academy_code: str
    feed_id: str


def parse_refids(values: Iterable[str]) -> list[RefId]:
    """The `{AAF}` values, in order and without duplicates; other values are ignored
    (EduConnect also sends ids of other directories)."""
    found: list[RefId] = []
    for value in values:
        value = str(value).strip()
        if not value.startswith(AAF_PREFIX):
            continue
        parts = [part.strip() for part in value[len(AAF_PREFIX):].split("|")]
        if len(parts) < 2 or not parts[0] or not parts[-1]:
            continue
        ref = RefId(academy_code=parts[0], feed_id=parts[-1])
        if ref not in found:
            found.append(ref)
    return found


@dataclass(frozen=True)
class FeedKeys:
    """The (external_prefix, external_id) pairs to look up, and the académie codes that
    none of the IdP's académies has."""

    keys: tuple[tuple[str, str], ...]
    unknown_codes: tuple[str, ...]


def feed_keys(refids: Sequence[RefId], prefix_of_code: Mapping[str, str]) -> FeedKeys:
    """Maps each académie code to its feed prefix, among the académies the IdP serves."""
    keys: list[tuple[str, str]] = []
    unknown: list[str] = []
    for ref in refids:
        prefix = prefix_of_code.get(ref.academy_code)
        if prefix is None:
            if ref.academy_code not in unknown:
                unknown.append(ref.academy_code)
        elif (prefix, ref.feed_id) not in keys:
            keys.append((prefix, ref.feed_id))
    return FeedKeys(tuple(keys), tuple(unknown))


def affiliation_profiles(values: Iterable[str], allow_pupils: bool) -> frozenset[str]:
    """The profiles EduConnect's affiliations allow: parents always, pupils if allowed."""
    affiliations = {str(value).strip().lower() for value in values}
    profiles: set[str] = set()
    if affiliations & RELATIVE_AFFILIATIONS:
        profiles.add(Profile.RELATIVE)
    if allow_pupils and affiliations & PUPIL_AFFILIATIONS:
        profiles.add(Profile.STUDENT)
    return frozenset(profiles)


def first_values(attributes: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """An attribute's non-empty values (pysaml2 gives lists of strings)."""
    return [str(v).strip() for v in attributes.get(name, ()) if str(v).strip()]


def staff_emails(attributes: Mapping[str, Sequence[str]], attribute: str) -> list[str]:
    """The e-mails an académie portal sent in `attribute`, lower-cased."""
    return sorted({value.lower() for value in first_values(attributes, attribute)})


@dataclass(frozen=True)
class Candidate:
    """What the judgement needs to know of an account found by the lookup."""

    id: int
    profile: str
    state: str


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    accounts: tuple[int, ...] = ()  # the accounts one may log into (one, or several to choose)
    reason: str = ""
    known: tuple[int, ...] = field(default=())  # every account found, for their history


def judge(candidates: Sequence[Candidate], allowed_profiles: Iterable[str], *,
          unknown_codes: Sequence[str] = (), profile_outcome: Outcome = Outcome.PROFILE_REFUSED
          ) -> Verdict:
    """Decides what a federated login does with the accounts its keys found.

    Accounts of another profile than the IdP allows are `profile_outcome` (an académie
    portal naming a parent; EduConnect saying "parent" of a pupil's account: affiliation
    mismatch); blocked, pre-deleted and deleted ones are refused; one usable account logs
    in, several are offered to choose from. Nothing found: an unknown académie code when
    there was one, else no match.
    """
    allowed = frozenset(allowed_profiles)
    known = tuple(c.id for c in candidates)
    codes = ",".join(unknown_codes)
    if not candidates:
        if unknown_codes:
            return Verdict(Outcome.UNKNOWN_ACADEMY, reason=f"code {codes}")
        return Verdict(Outcome.NO_MATCH)
    right_profile = [c for c in candidates if c.profile in allowed]
    if not right_profile:
        profiles = ",".join(sorted({c.profile for c in candidates}))
        return Verdict(profile_outcome, reason=f"profile {profiles}", known=known)
    usable = [c for c in right_profile if c.state not in REFUSED_STATES]
    if not usable:
        states = ",".join(sorted({c.state for c in right_profile}))
        return Verdict(Outcome.ACCOUNT_REFUSED, reason=f"state {states}", known=known)
    ids = tuple(sorted(c.id for c in usable))
    reason = f"unknown code {codes}" if unknown_codes else ""
    if len(ids) == 1:
        return Verdict(Outcome.SUCCESS, ids, reason=reason, known=known)
    return Verdict(Outcome.CHOICE, ids, reason=reason, known=known)
