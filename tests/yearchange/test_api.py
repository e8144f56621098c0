from __future__ import annotations

import pytest

from preau.documents.actions import check_create_folder
from preau.sharing.actions import check_share
from preau.sharing.models import Right, Share
from preau.yearchange.models import TransitionRun


@pytest.fixture
def class_share(personas):
    folder = check_create_folder(personas.teacher, "Cahier de la classe")
    pupils = personas.school_class.groups.get(profile="Student")
    check_share(personas.teacher, folder, groups=[pupils], rights=[Right.READ])
    return Share.objects.get(group=pupils)


def test_owner_lists_and_converts_class_group_shares(client_for, personas, class_share):
    client = client_for(personas.teacher)
    listed = client.get("/api/v1/me/class-group-shares").json()
    assert [(s["id"], s["name"], s["members"]) for s in listed] == [
        (class_share.pk, "Cahier de la classe", 1)]
    assert client.post(f"/api/v1/me/class-group-shares/{class_share.pk}/convert"
                       ).status_code == 200
    assert Share.objects.filter(user=personas.pupil).exists()
    assert client.get("/api/v1/me/class-group-shares").json() == []


def test_hand_over_needs_a_reachable_teacher(client_for, personas, class_share):
    client = client_for(personas.teacher)
    url = f"/api/v1/me/class-group-shares/{class_share.pk}/hand-over"
    assert client.post(url, {"teacher": personas.other_teacher.pk},
                       content_type="application/json").status_code == 400
    assert client.post(url, {"teacher": personas.colleague.pk},
                       content_type="application/json").status_code == 200
    assert Share.objects.get(user=personas.colleague).can_manage


def test_someone_else_gets_404(client_for, personas, class_share):
    response = client_for(personas.colleague).post(
        f"/api/v1/me/class-group-shares/{class_share.pk}/convert")
    assert response.status_code == 404


def test_plan_and_approve_for_ent_admins_only(client_for, personas, class_share, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert client_for(personas.teacher).post("/api/v1/yearchange/plan").status_code == 403
    assert client_for(None).post("/api/v1/yearchange/plan").status_code == 401
    admin = client_for(personas.ent_admin)
    plan = admin.post("/api/v1/yearchange/plan", {"academy": "lille"},
                      content_type="application/json")
    assert plan.status_code == 201
    body = plan.json()
    assert body["status"] == "planned" and "shares_purged" in body["report"]
    approved = admin.post(f"/api/v1/yearchange/runs/{body['id']}/approve")
    assert approved.status_code == 202
    assert TransitionRun.objects.get(pk=approved.json()["id"]).plan_id == body["id"]
    again = admin.post(f"/api/v1/yearchange/runs/{body['id']}/approve")
    assert again.status_code == 400
    assert [r["id"] for r in admin.get("/api/v1/yearchange/runs").json()][:2] == [
        approved.json()["id"], body["id"]]
