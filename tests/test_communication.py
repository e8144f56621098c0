"""The communication rules decide who finds whom; everything else asks them."""

import pytest

from preau.directory.communication import (
    addressable_groups,
    can_address,
    can_reach,
    reachable_users,
    visible_groups,
)
from preau.directory.models import CommunicationRule, CommunicationScope

pytestmark = pytest.mark.django_db


def test_teacher_reaches_everyone_of_her_school_only(personas):
    reach = set(reachable_users(personas.teacher))
    assert {personas.colleague, personas.pupil, personas.parent, personas.school_admin,
            personas.guest} <= reach
    assert personas.other_teacher not in reach
    assert personas.other_pupil not in reach
    assert personas.teacher not in reach


def test_pupil_reaches_her_class_teacher_and_parent_not_the_colleague(personas):
    reach = set(reachable_users(personas.pupil))
    assert reach == {personas.teacher, personas.parent}


def test_parent_reaches_child_teacher_direction_and_child(personas):
    reach = set(reachable_users(personas.parent))
    assert reach == {personas.teacher, personas.school_admin, personas.pupil}


def test_rules_are_data_an_admin_can_switch_off(personas):
    assert can_reach(personas.pupil, personas.teacher)
    CommunicationRule.objects.filter(sender_profile="Student",
                                     scope=CommunicationScope.SAME_CLASS).update(enabled=False)
    assert not can_reach(personas.pupil, personas.teacher)


def test_ent_admin_reaches_everyone(personas):
    assert personas.other_pupil in set(reachable_users(personas.ent_admin))


def test_groups_visible_to_teacher_are_her_schools(personas):
    groups = set(visible_groups(personas.teacher))
    assert any(g.school_class == personas.school_class for g in groups)
    assert not any(g.school_class == personas.other_class for g in groups)


def test_a_pupil_sees_her_groups_but_addresses_only_her_teachers(personas):
    """Visible (I can see I am in it) is not addressable (I may write or share to it)."""
    pupil_class = {g.profile: g for g in personas.school_class.groups.all()}
    school = {g.profile: g for g in personas.school.groups.all()}
    assert set(visible_groups(personas.pupil)) == {
        pupil_class["Student"], school["Student"], pupil_class["Teacher"]}
    assert set(addressable_groups(personas.pupil)) == {pupil_class["Teacher"]}
    assert not can_address(personas.pupil, school["Student"])


def test_reachable_users_is_one_query(personas, django_assert_num_queries):
    with django_assert_num_queries(2):  # the rules, then the people
        list(reachable_users(personas.parent))
