"""Benchmark of the Messagerie's costly moments (a plain script, not a test).

    .venv/bin/python bench/bench_messaging.py [--members 500] [--messages 5000] [--runs 9]

In a throw-away SQLite database (its own PREAU_DATA_DIR in a temporary directory;
DATABASE_URL is ignored) it builds one school with a teacher and a parents' group of
--members parents, and gives the first parent --messages messages in Réception (rows
written in bulk). Then it times each measure as the median of --runs runs after one
warm-up (the reads first, before the sends write anything):

- **send to the group**: `check_send` of a draft with a 100 KiB attachment to the group
  (reach checks, expansion, quota rows locked, checked and charged for every member, one
  copy each); the floor is the same writes in hand-written SQL in one transaction (one
  `INSERT` of the copies by `executemany`, one `UPDATE` of the quotas, the message's
  `UPDATE`);
- **inbox page**: the first page (50) of `folder_copies(parent, inbox)` with senders and
  addresses, evaluated; the floor, the same rows by two hand-written queries;
- **folder counts**: `folder_rows(parent)`; the floor, one hand-written `GROUP BY`.

Each line prints the median in milliseconds and the ratio to its floor.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def setup_django(data_dir: Path) -> None:
    os.environ["PREAU_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ["PREAU_STORAGE"] = "local"
    os.environ.setdefault("PREAU_LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "preau.settings"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def median_ms(func: Callable[[], Any], runs: int, prepare: Callable[[], Any] | None = None
              ) -> float:
    times = []
    for index in range(runs + 1):
        arg = prepare() if prepare else None
        start = time.perf_counter()
        func() if prepare is None else func(arg)  # type: ignore[call-arg]
        if index:  # the first run warms up
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def build(members: int, messages: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from preau.accounts.models import Profile, Source, State, User
    from preau.directory.actions import do_attach_to_structure, do_create_class
    from preau.directory.models import Academy, Membership, SchoolYear, Structure
    from preau.messaging.models import Message, MessageCopy, SystemFolder

    call_command("migrate", verbosity=0)
    import datetime

    SchoolYear.objects.create(name="2023-2024", start=datetime.date(2023, 9, 1),
                              end=datetime.date(2024, 7, 6), is_current=True)
    academy = Academy.objects.create(code="99", name="Académie du banc", feed_prefix="banc")
    school = Structure.objects.create(uai="0999999Z", name="École du banc", academy=academy)
    school_class = do_create_class(school, "CM2", "CM2", ["CM2"])
    parents = school_class.groups.get(profile=Profile.RELATIVE)
    teacher = User.objects.create(login="banc.enseignant", first_name="Ada", last_name="Banc",
                                  profile=Profile.TEACHER, source=Source.MANUAL,
                                  state=State.ACTIVE)
    do_attach_to_structure(teacher, school, Source.MANUAL)
    with transaction.atomic():
        people = User.objects.bulk_create([
            User(login=f"banc.parent{i}", first_name=f"Parent{i}", last_name="Banc",
                 name_key=f"banc parent{i}", profile=Profile.RELATIVE, source=Source.MANUAL,
                 state=State.ACTIVE) for i in range(members)])
        Membership.objects.bulk_create([Membership(group=parents, user=u, source="manual")
                                        for u in people])
        for user in people:
            do_attach_to_structure(user, school, Source.MANUAL)
        now = timezone.now()
        mails = Message.objects.bulk_create([
            Message(sender=teacher, subject=f"Message {i}", body="<p>Bonjour</p>",
                    sent_at=now, created_at=now, updated_at=now) for i in range(messages)])
        MessageCopy.objects.bulk_create([
            MessageCopy(message=m, user=people[0], folder=SystemFolder.INBOX,
                        is_unread=i % 3 == 0, date=now) for i, m in enumerate(mails)])
    return {"teacher": teacher, "parents": parents, "reader": people[0],
            "member_ids": [u.pk for u in people]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="preau-bench-mail-") as tmp:
        setup_django(Path(tmp))
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from preau.messaging.access import access_folder_key, folder_copies, folder_rows
    from preau.messaging.actions import check_add_attachment, check_save_draft, check_send
    from preau.messaging.models import Message

    world = build(args.members, args.messages)
    teacher, group, reader = world["teacher"], world["parents"], world["reader"]
    size = 100 * 1024
    blob = b"b" * size

    inbox = access_folder_key(reader, "inbox")
    page_ms = median_ms(lambda: list(folder_copies(reader, inbox)[:50]), args.runs)

    def floor_page() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, c.is_unread, c.date, m.id, m.subject, m.attachments_size, "
                "u.first_name, u.last_name FROM messaging_messagecopy c JOIN messaging_message m "
                "ON m.id = c.message_id JOIN accounts_user u ON u.id = m.sender_id WHERE "
                "c.user_id = %s AND c.trashed_at IS NULL AND c.mail_folder_id IS NULL AND "
                "c.folder = 'inbox' ORDER BY c.date DESC, c.id DESC LIMIT 50", [reader.pk])
            ids = [row[3] for row in cursor.fetchall()]
            cursor.execute("SELECT * FROM messaging_address WHERE message_id IN "
                           f"({','.join(['%s'] * len(ids))})", ids)
            cursor.fetchall()

    floor_page_ms = median_ms(floor_page, args.runs)
    counts_ms = median_ms(lambda: folder_rows(reader), args.runs)

    def floor_counts() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, name FROM messaging_mailfolder WHERE owner_id = %s",
                           [reader.pk])
            cursor.execute(
                "SELECT folder, mail_folder_id, trashed_at IS NULL, COUNT(*), "
                "SUM(is_unread) FROM messaging_messagecopy WHERE user_id = %s "
                "GROUP BY 1, 2, 3", [reader.pk])
            cursor.fetchall()

    floor_counts_ms = median_ms(floor_counts, args.runs)
    def new_draft() -> Message:
        draft = check_save_draft(teacher, None, to=[f"group:{group.pk}"], subject="Banc")
        check_add_attachment(teacher, draft, io.BytesIO(blob), name="pj.bin", size=size)
        return draft

    send_ms = median_ms(lambda draft: check_send(teacher, draft), args.runs, new_draft)

    def floor_send(draft: Message) -> None:
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE messaging_message SET sent_at = %s WHERE id = %s",
                           [now, draft.pk])
            cursor.executemany(
                "INSERT INTO messaging_messagecopy (message_id, user_id, folder, is_unread, "
                "date, charged) VALUES (%s, %s, 'inbox', 1, %s, %s)",
                [(draft.pk, uid, now, size) for uid in world["member_ids"]])
            cursor.execute("UPDATE documents_quota SET used = used + %s WHERE user_id IN "
                           f"({','.join(['%s'] * len(world['member_ids']))})",
                           [size, *world["member_ids"]])

    floor_send_ms = median_ms(floor_send, args.runs, new_draft)

    print(f"SQLite, {args.members} group members, {args.messages} messages in the inbox, "
          f"median of {args.runs} runs")
    for label, value, floor in (
            ("send to the group (100 KiB attachment)", send_ms, floor_send_ms),
            ("inbox page (50)", page_ms, floor_page_ms),
            ("folder counts", counts_ms, floor_counts_ms)):
        print(f"{label:42} {value:9.2f} ms   floor {floor:8.2f} ms   ratio {value / floor:5.1f}")


if __name__ == "__main__":
    main()
