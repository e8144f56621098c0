"""Generated logins (prenom.nom) and activation codes (8 characters, no look-alikes)."""

import pytest

from preau.accounts.actions import (
    ACTIVATION_ALPHABET,
    do_create_user,
    generate_login,
    new_activation_code,
)
from preau.accounts.models import Profile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("first", "last", "login"), [
    ("Jean", "Dupont", "jean.dupont"),
    ("Chloé", "Lefèvre", "chloe.lefevre"),
    ("Jean-Noël", "D'Arc", "jeannoel.darc"),
    ("Anaïs", "Le Bœuf", "anais.leboeuf"),
    ("  Zoé ", "ÇA-VA!", "zoe.cava"),
    ("", "Martin", "martin"),
    ("", "", "user"),
])
def test_login_strips_accents_and_punctuation(first, last, login):
    assert generate_login(first, last) == login


def test_collisions_are_numbered_from_two():
    first = do_create_user(first_name="Jean", last_name="Dupont", profile=Profile.STUDENT)
    second = do_create_user(first_name="Jean", last_name="Dupont", profile=Profile.STUDENT)
    third = do_create_user(first_name="Jéan", last_name="Dupont", profile=Profile.RELATIVE)
    assert [first.login, second.login, third.login] == [
        "jean.dupont", "jean.dupont2", "jean.dupont3"]


def test_a_longer_login_with_the_same_start_is_not_a_collision():
    do_create_user(first_name="Jean", last_name="Dupontel", profile=Profile.STUDENT)
    assert generate_login("Jean", "Dupont") == "jean.dupont"


def test_bulk_callers_reserve_logins_without_queries(django_assert_num_queries):
    taken = {"jean.dupont"}
    with django_assert_num_queries(0):
        assert generate_login("Jean", "Dupont", taken) == "jean.dupont2"
        assert generate_login("Jean", "Dupont", taken) == "jean.dupont3"
    assert {"jean.dupont2", "jean.dupont3"} <= taken


def test_bulk_callers_can_resume_each_name_where_they_left_it():
    """With `last_numbers`, the logins are those of a scan from 1 (the feed importer's
    common names no longer rescan every number already handed out)."""
    taken = {"jean.dupont", "jean.dupont2", "jean.dupont4", "zoe.roux"}
    scanned = set(taken)
    last_numbers: dict[str, int] = {}
    names = [("Jean", "Dupont"), ("Zoé", "Roux"), ("Jean", "Dupont"), ("Léa", "Petit"),
             ("Jean", "Dupont"), ("Zoé", "Roux")]
    resumed = [generate_login(first, last, taken, last_numbers) for first, last in names]
    assert resumed == [generate_login(first, last, scanned) for first, last in names]
    assert resumed == ["jean.dupont3", "zoe.roux2", "jean.dupont5", "lea.petit",
                       "jean.dupont6", "zoe.roux3"]
    assert last_numbers["jean.dupont"] == 6


def test_activation_codes_have_eight_unambiguous_characters():
    codes = {new_activation_code() for _ in range(500)}
    assert len(codes) == 500
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set(ACTIVATION_ALPHABET)
        assert not set(code) & set("0O1lI")
    assert not set(ACTIVATION_ALPHABET) & set("0O1lI")
    # Every letter of the alphabet turns up: the codes are not drawn from a subset.
    assert set("".join(codes)) == set(ACTIVATION_ALPHABET)


def test_new_accounts_wait_for_activation_with_a_code():
    user = do_create_user(first_name="Léa", last_name="Roux", profile=Profile.STUDENT)
    assert user.state == "pending"
    assert len(user.activation_code) == 8
    assert not user.has_usable_password()


def test_change_login_keeps_the_old_one_in_the_history():
    from preau.accounts.actions import AccountError, do_change_login
    from preau.accounts.models import UserEvent

    user = do_create_user(first_name="Jean", last_name="Dupont", profile=Profile.STUDENT)
    other = do_create_user(first_name="Zoé", last_name="Martin", profile=Profile.STUDENT)
    do_change_login(user, " demo.eleve ")
    user.refresh_from_db()
    assert user.login == "demo.eleve" and user.name_key.endswith("demo.eleve")
    event = user.events.get(kind=UserEvent.Kind.UPDATED)
    assert event.details == {"login": ["jean.dupont", "demo.eleve"]}
    with pytest.raises(AccountError):
        do_change_login(other, "demo.eleve")
    with pytest.raises(AccountError):
        do_change_login(other, "  ")
    do_change_login(user, "demo.eleve")  # the same login: nothing to record
    assert user.events.filter(kind=UserEvent.Kind.UPDATED).count() == 1
