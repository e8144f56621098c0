"""The rentrée morning as locust users: the scenario that `bench/bench_rentree.py` runs.

Not meant to be started by hand: the benchmark writes the accounts file (logins, each one's
class, files, messages and recipient, the pages' paths) and starts
`locust -f bench/rentree_locustfile.py --headless` with these variables:

- `RENTREE_CONFIG`: that JSON file; `RENTREE_RESULTS`: where this file writes every request
  it made (name, profile, start, milliseconds, error) when locust quits;
- `RENTREE_MODE`: `mix` or `pages`.

`mix`, the rentrée morning: each locust user takes the next account of the file, teachers
first then parents, and logs in through the real login form (GET for the CSRF token, POST;
the benchmark spawns every user at once, so all log in within the first seconds: the storm).
Then each repeats, with a pause of `RENTREE_WAIT` seconds ("1-3", or "0" for none), one
action drawn from its profile's weighted mix (`MIX`): only what Préau lets that profile do —
a teacher opens her own class and writes to her class's parents group, a parent opens the
child's class and writes to the child's teacher. Users browse as soon as they are in; the
run stops `RENTREE_BROWSE_SECONDS` after the last login, however long the storm took.

`pages`, the floors: `RENTREE_PAGE_USERS` teachers and as many parents log in; once all are
in, the run goes through `RENTREE_PHASES` (`page:profile,…`), `RENTREE_PHASE_SECONDS` each:
during a phase every user of that profile requests that page in a closed loop (no pause)
while the others wait, so each page's throughput alone is measured on the same server as
the bare one-query view (`bare:teacher`).

Every request is checked (status, and where a change redirects, the redirect's target): a
refused send or upload is an error, which makes the benchmark exit non-zero.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from gevent.event import Event
from locust import FastHttpUser, events, task
from locust.exception import StopUser

# "Quoi de neuf" (issue 12's activity page) does not exist yet. Once it does, set its path
# here (e.g. "/quoi-de-neuf/"): it then joins both profiles' mix with this weight and the
# per-page floors (the mix run's results list `read_pages()` for the benchmark).
WHATS_NEW_PATH: str | None = None
WHATS_NEW_WEIGHT = 8

READ_PAGES = ("home", "search", "class", "documents", "shared", "download", "inbox", "message")

# Each profile's mix: action -> weight (how often it is drawn against the others).
MIX: dict[str, dict[str, int]] = {
    "teacher": {"home": 10, "search": 6, "class": 8, "documents": 6, "shared": 2,
                "download": 4, "upload": 2, "inbox": 10, "message": 6, "send": 2},
    "parent": {"home": 12, "search": 3, "class": 5, "documents": 3, "shared": 4,
               "download": 4, "upload": 1, "inbox": 10, "message": 8, "send": 1},
}
# Name fragments typed in the Annuaire (the feed generator's last names).
SEARCH_FRAGMENTS = ("mar", "ber", "tho", "pet", "rob", "dur", "dub", "mor", "lau", "ler",
                    "fou", "gir", "bon", "lam", "fon", "rou", "vin", "mer", "bla", "che")
UPLOAD_BYTES = 1500
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def read_pages() -> tuple[str, ...]:
    """The pages measured alone in the floors: the reads of the mix."""
    return READ_PAGES + (("whats_new",) if WHATS_NEW_PATH else ())


def mix_of(role: str) -> dict[str, int]:
    mix = dict(MIX[role])
    if WHATS_NEW_PATH:
        mix["whats_new"] = WHATS_NEW_WEIGHT
    return mix


def _load_config() -> dict[str, Any]:
    path = os.environ.get("RENTREE_CONFIG", "")
    if not path:  # imported without the benchmark (a check that the file loads)
        return {"accounts": [], "paths": {}, "password": ""}
    config: dict[str, Any] = json.loads(Path(path).read_text())
    return config


CONFIG = _load_config()
MODE = os.environ.get("RENTREE_MODE", "mix")
WAIT = tuple(float(x) for x in os.environ.get("RENTREE_WAIT", "1-3").split("-"))
PHASES = [tuple(p.split(":")) for p in os.environ.get("RENTREE_PHASES", "").split(",") if p]
PHASE_SECONDS = float(os.environ.get("RENTREE_PHASE_SECONDS", "8"))
PAGE_USERS = int(os.environ.get("RENTREE_PAGE_USERS", "8"))
BROWSE_SECONDS = float(os.environ.get("RENTREE_BROWSE_SECONDS", "60"))


def _account_order() -> list[dict[str, Any]]:
    """The accounts the users take in turn: every account, teachers first (mix), or
    `PAGE_USERS` of each profile (pages), repeating accounts when there are fewer."""
    accounts = CONFIG["accounts"]
    teachers = [a for a in accounts if a["role"] == "teacher"]
    parents = [a for a in accounts if a["role"] == "parent"]
    if MODE == "pages":
        return [pool[i % len(pool)] for pool in (teachers, parents) if pool
                for i in range(PAGE_USERS)]
    return teachers + parents


ORDER = _account_order()
_next_account = itertools.count()

# What the benchmark reads back: one tuple per request.
RECORDS: list[tuple[str, str, float, float, str | None]] = []


class Gate:
    """Every user has logged in (or failed to): the browsing time of the mix counts from
    then, and the phases of the pages mode start then, together."""

    def __init__(self) -> None:
        self.expected = len(ORDER)
        self.arrived = 0
        self.opened = Event()
        self.t0 = 0.0
        self.finished = False

    def arrive(self) -> None:
        self.arrived += 1
        if self.arrived >= self.expected and not self.opened.is_set():
            self.t0 = time.time() + (0.5 if MODE == "pages" else 0.0)
            self.opened.set()

    def wait(self) -> None:
        if not self.opened.wait(timeout=120):  # a user that never arrived: go on without it
            self.t0 = time.time()
            self.opened.set()


GATE = Gate()


def check(response: Any, ok: bool, failure: str) -> bool:
    """Marks the response a success or a failure (by what Préau should answer, never by
    the status code's class alone: a refused send is a redirect too)."""
    if ok:
        response.success()
    else:
        response.failure(failure)
    return ok


def location(response: Any) -> str:
    return str((response.headers or {}).get("Location", "") or "")


@events.request.add_listener
def _record(name: str, response_time: float, exception: Exception | None,
            start_time: float | None = None, context: dict[str, Any] | None = None,
            **_kwargs: Any) -> None:
    role = (context or {}).get("role", "")
    error = None if exception is None else str(exception)[:300]
    RECORDS.append((name, role, start_time or 0.0, response_time, error))


@events.user_error.add_listener
def _record_user_error(user_instance: Any, exception: Exception, **_kwargs: Any) -> None:
    """An exception in the scenario itself (not a request's failure) counts as an error."""
    role = getattr(getattr(user_instance, "user", user_instance), "role", "")
    RECORDS.append(("scenario error", role, time.time(), 0.0, repr(exception)[:300]))


@events.quitting.add_listener
def _write_results(**_kwargs: Any) -> None:
    path = os.environ.get("RENTREE_RESULTS", "")
    if not path:
        return
    Path(path).write_text(json.dumps({
        "mode": MODE, "t0": GATE.t0, "browse_seconds": BROWSE_SECONDS,
        "phases": [list(p) for p in PHASES],
        "phase_seconds": PHASE_SECONDS, "users": len(ORDER), "read_pages": read_pages(),
        "records": RECORDS,
    }))


class RentreeUser(FastHttpUser):
    """One teacher or parent of the accounts file."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        number = next(_next_account)
        self.account: dict[str, Any] = ORDER[number % len(ORDER)] if ORDER else {}
        self.role: str = self.account.get("role", "")
        self.rng = random.Random(number)
        self.paths: dict[str, str] = CONFIG["paths"]
        self.uploads = 0
        mix = mix_of(self.role) if self.role else {}
        self.actions = list(mix)
        self.weights = list(mix.values())

    def context(self) -> dict[str, Any]:
        return {"role": self.role}

    def wait_time(self) -> float:
        if MODE == "pages" or WAIT == (0.0,):
            return 0.0
        return self.rng.uniform(WAIT[0], WAIT[-1])

    # -- login ------------------------------------------------------------------------------

    def on_start(self) -> None:
        try:
            if not self.account:
                raise StopUser
            self.log_in()
        finally:
            GATE.arrive()

    def log_in(self) -> None:
        """The login form, as a browser sends it; a user whose login fails stops (and the
        failure is counted)."""
        login_path = self.paths["login"]
        with self.client.get(login_path, name="login page", allow_redirects=False,
                             catch_response=True) as response:
            found = CSRF_FIELD.search(response.text or "")
            ok = check(response, response.status_code == 200 and found is not None,
                       f"login page: {response.status_code}, no CSRF field")
        if not ok or found is None:
            raise StopUser
        body = urlencode({"csrfmiddlewaretoken": found.group(1),
                          "username": self.account["login"],
                          "password": CONFIG["password"]})
        with self.client.post(login_path, name="login", data=body, allow_redirects=False,
                              headers={"Content-Type": "application/x-www-form-urlencoded"},
                              catch_response=True) as response:
            target = location(response)
            ok = check(response, response.status_code == 302 and target == self.paths["home"],
                       f"login of {self.account['login']}: {response.status_code} to "
                       f"{target!r}, not the home page")
        if not ok:
            raise StopUser

    def csrf_token(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "csrftoken":
                return str(cookie.value)
        return ""

    # -- the scenario -------------------------------------------------------------------------

    @task
    def act(self) -> None:
        if MODE == "pages":
            self.phase_step()
            return
        if GATE.opened.is_set() and time.time() >= GATE.t0 + BROWSE_SECONDS:
            self.finish()
            return
        action = self.rng.choices(self.actions, self.weights)[0]
        self.do(action)

    def finish(self) -> None:
        """The run is over: stop locust (once), and wait for it."""
        if not GATE.finished:
            GATE.finished = True
            gevent.spawn(self.environment.runner.quit)
        gevent.sleep(1)

    def do(self, action: str) -> None:
        handler: Callable[[], None] = getattr(self, f"do_{action}")
        handler()

    def phase_step(self) -> None:
        GATE.wait()
        now = time.time()
        if now < GATE.t0:
            gevent.sleep(GATE.t0 - now)
            return
        index = int((now - GATE.t0) // PHASE_SECONDS)
        if index >= len(PHASES):
            self.finish()
            return
        page, role = PHASES[index]
        if role != self.role:
            gevent.sleep(min(0.05, GATE.t0 + (index + 1) * PHASE_SECONDS - now))
            return
        self.do(page)

    def get(self, name: str, path: str, expect: int = 200) -> None:
        with self.client.get(path, name=name, allow_redirects=False,
                             catch_response=True) as response:
            check(response, response.status_code == expect,
                  f"{name} {path}: {response.status_code}, not {expect}")

    def pick(self, key: str) -> int:
        return int(self.rng.choice(self.account[key]))

    def do_bare(self) -> None:
        self.get("bare", self.paths["bare"])

    def do_home(self) -> None:
        self.get("home", self.paths["home"])

    def do_whats_new(self) -> None:
        assert WHATS_NEW_PATH
        self.get("whats_new", WHATS_NEW_PATH)

    def do_search(self) -> None:
        fragment = self.rng.choice(SEARCH_FRAGMENTS)
        self.get("search", f"{self.paths['search']}?{urlencode({'q': fragment})}")

    def do_class(self) -> None:
        self.get("class", self.paths["class"].format(id=self.account["class_id"]))

    def do_documents(self) -> None:
        self.get("documents", self.paths["documents"])

    def do_shared(self) -> None:
        self.get("shared", self.paths["shared"])

    def do_download(self) -> None:
        self.get("download", self.paths["download"].format(id=self.pick("files")))

    def do_inbox(self) -> None:
        self.get("inbox", self.paths["inbox"])

    def do_message(self) -> None:
        self.get("message", self.paths["message"].format(id=self.pick("messages")))

    def do_upload(self) -> None:
        """A small file into Mes documents, as the upload script sends it (CSRF token in a
        header, one file a request, a JSON answer)."""
        self.uploads += 1
        boundary = uuid.uuid4().hex
        name = f"Note {self.account['login']} {self.uploads} {boundary[:6]}.txt"
        content = (f"Note {self.uploads} de {self.account['login']}\n".encode()
                   * (UPLOAD_BYTES // 40 + 1))[:UPLOAD_BYTES]
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                f"filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n").encode() + content \
            + f"\r\n--{boundary}--\r\n".encode()
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
                   "X-CSRFToken": self.csrf_token(), "Accept": "application/json"}
        with self.client.post(self.paths["upload"], name="upload",
                              data=body,  # type: ignore[arg-type]  # bytes go as they are
                              headers=headers,
                              allow_redirects=False, catch_response=True) as response:
            check(response, response.status_code == 201,
                  f"upload: {response.status_code} {(response.text or '')[:200]}")

    def do_send(self) -> None:
        """A new message sent at once: a teacher to her class's parents group, a parent to
        the child's teacher. Préau answers with a redirect to Envoyés when it is sent."""
        number = self.rng.randrange(1_000_000)
        body = urlencode([
            ("csrfmiddlewaretoken", self.csrf_token()), ("to", self.account["send_to"]),
            ("subject", f"Rentrée : question {number}"),
            ("body", "<p>Bonjour,</p><p>Pourriez-vous me rappeler l'heure de sortie du "
                     "mercredi ? Merci.</p>"),
            ("action", "send"),
        ])
        with self.client.post(self.paths["compose"], name="send", data=body,
                              headers={"Content-Type": "application/x-www-form-urlencoded"},
                              allow_redirects=False, catch_response=True) as response:
            target = location(response)
            check(response, response.status_code == 302 and target == self.paths["sent"],
                  f"send to {self.account['send_to']}: {response.status_code} to {target!r}, "
                  f"not Envoyés")
