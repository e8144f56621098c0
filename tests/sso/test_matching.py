"""The matching rules as pure functions (no database, no SAML)."""

from preau.accounts.models import Profile, State
from preau.sso.matching import (
    Candidate,
    RefId,
    affiliation_profiles,
    feed_keys,
    judge,
    parse_refids,
    staff_emails,
)
from preau.sso.models import Outcome


def test_only_aaf_values_are_kept_in_order_without_duplicates():
    values = ["{AAF}09|1|2000123", "{ONDE}0591001A|77", " {AAF}18|1|4500789 ",
              "{AAF}09|1|2000123", "{AAF}|1|5", "{AAF}09", "garbage"]
    assert parse_refids(values) == [RefId("09", "2000123"), RefId("18", "4500789")]


def test_the_feed_id_is_the_last_part():
    assert parse_refids(["{AAF}09|Relative|extra|ABC-1"]) == [RefId("09", "ABC-1")]


def test_codes_map_to_the_feed_prefixes_of_the_idps_academies_only():
    keys = feed_keys([RefId("09", "1"), RefId("18", "2"), RefId("99", "3"), RefId("99", "4")],
                     {"09": "lille", "18": "amiens"})
    assert keys.keys == (("lille", "1"), ("amiens", "2"))
    assert keys.unknown_codes == ("99",)


def test_affiliations():
    assert affiliation_profiles(["resp2d"], False) == {Profile.RELATIVE}
    assert affiliation_profiles(["RESP1D"], False) == {Profile.RELATIVE}
    assert affiliation_profiles(["eleve1d"], False) == set()
    assert affiliation_profiles(["eleve2d"], True) == {Profile.STUDENT}
    assert affiliation_profiles(["resp1d", "eleve1d"], True) == {Profile.RELATIVE,
                                                                 Profile.STUDENT}
    assert affiliation_profiles(["enseignant"], True) == set()


def test_staff_emails_are_lower_cased():
    assert staff_emails({"mail": ["Jeanne.Petit@AC-test.fr", " "]}, "mail") == [
        "jeanne.petit@ac-test.fr"]
    assert staff_emails({}, "ctemail") == []


def c(pk, profile=Profile.RELATIVE, state=State.ACTIVE):
    return Candidate(pk, profile, state)


def test_one_account_logs_in_several_are_a_choice():
    assert judge([c(1)], {Profile.RELATIVE}).outcome == Outcome.SUCCESS
    verdict = judge([c(2), c(1, state=State.PENDING)], {Profile.RELATIVE})
    assert (verdict.outcome, verdict.accounts) == (Outcome.CHOICE, (1, 2))


def test_nothing_found():
    assert judge([], {Profile.RELATIVE}).outcome == Outcome.NO_MATCH
    verdict = judge([], {Profile.RELATIVE}, unknown_codes=["99"])
    assert (verdict.outcome, verdict.reason) == (Outcome.UNKNOWN_ACADEMY, "code 99")


def test_a_profile_the_idp_does_not_allow():
    verdict = judge([c(1, Profile.STUDENT)], {Profile.RELATIVE},
                    profile_outcome=Outcome.AFFILIATION_MISMATCH)
    assert verdict.outcome == Outcome.AFFILIATION_MISMATCH and verdict.known == (1,)
    assert judge([c(1)], {Profile.TEACHER}).outcome == Outcome.PROFILE_REFUSED
    assert judge([c(1)], set()).outcome == Outcome.PROFILE_REFUSED


def test_blocked_predeleted_and_deleted_accounts_are_refused():
    for state in (State.BLOCKED, State.PREDELETED, State.DELETED):
        verdict = judge([c(1, state=state)], {Profile.RELATIVE})
        assert verdict.outcome == Outcome.ACCOUNT_REFUSED and verdict.accounts == ()
    # ...but do not hide a usable account of the same person.
    verdict = judge([c(1, state=State.BLOCKED), c(2)], {Profile.RELATIVE})
    assert (verdict.outcome, verdict.accounts) == (Outcome.SUCCESS, (2,))


def test_missing_accounts_still_log_in():
    assert judge([c(1, state=State.MISSING)], {Profile.RELATIVE}).outcome == Outcome.SUCCESS
