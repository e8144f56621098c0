"""Sending limits of the Messagerie: how much one account may send, per profile.

- **Attachment caps**: a message's attachment bytes times the people it reaches (what it would
  charge to their document spaces), at most `PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE` for one
  message and `PREAU_MAIL_ATTACHMENT_BYTES_PER_DAY` over the sliding last 24 hours.
- **Hourly limits**: at most `PREAU_MAIL_MESSAGES_PER_HOUR` messages and
  `PREAU_MAIL_RECIPIENTS_PER_HOUR` people reached over the sliding last hour.

Each setting maps a profile to its limit (a missing profile or a negative value: no limit).
ENT admins are exempt from the hourly limits (they write to whole schools or the académie,
and their account can do far more than send mail), not from the attachment caps. Préau's own
notices (`do_deliver_notice`) have no sender and are never limited.

What was sent is read from the sender's messages (`Message.recipient_count` and
`recipient_bytes`, set when a message leaves) through the index on (sender, sent_at): one
aggregate over at most a day of one person's messages, whatever the number of recipients;
a second query only for a refusal, to say when sending will be possible again. The caller
(`actions.check_send`) holds a lock on the sender's row, so two sends at once cannot both
pass the last place.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from preau.accounts.models import Profile, User
from preau.documents.sizes import size_label
from preau.messaging.models import Message

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class SendLimits:
    """One account's limits; None: no limit."""

    messages_per_hour: int | None
    recipients_per_hour: int | None
    bytes_per_message: int | None
    bytes_per_day: int | None


def limits_of(user: User) -> SendLimits:
    def read(name: str, exempt: bool = False) -> int | None:
        value = None if exempt else getattr(settings, name, {}).get(user.profile)
        return None if value is None or value < 0 else int(value)

    return SendLimits(
        messages_per_hour=read("PREAU_MAIL_MESSAGES_PER_HOUR", exempt=user.is_ent_admin),
        recipients_per_hour=read("PREAU_MAIL_RECIPIENTS_PER_HOUR", exempt=user.is_ent_admin),
        bytes_per_message=read("PREAU_MAIL_ATTACHMENT_BYTES_PER_MESSAGE"),
        bytes_per_day=read("PREAU_MAIL_ATTACHMENT_BYTES_PER_DAY"))


@dataclass(frozen=True)
class Refusal:
    """Why a send is refused, for the user. `retry_at`: when the same message can go;
    None when waiting will not help (the message itself is over a limit)."""

    message: str
    retry_at: datetime.datetime | None


def _profile(user: User) -> str:
    return str(Profile(user.profile).label) if user.profile in Profile.values else user.profile


def _charge_sentence(people: int, size: int) -> dict[str, str | int]:
    return {"size": size_label(size), "count": people, "total": size_label(size * people)}


def refusal_by_itself(sender: User, people: int, size: int) -> Refusal | None:
    """What no wait can fix: this message alone (reaching `people`, with `size` bytes of
    attachments) is over one of the sender's limits. No query."""
    limits = limits_of(sender)
    profile = _profile(sender)
    reasons: list[str] = []
    if limits.messages_per_hour == 0:
        reasons.append(_("Not sent: the profile “%(profile)s” may not send messages.")
                       % {"profile": profile})
    if limits.recipients_per_hour is not None and people > limits.recipients_per_hour:
        reasons.append(ngettext(
            "Not sent: this message would reach %(count)s person, and the profile "
            "“%(profile)s” may reach at most %(limit)s per hour.",
            "Not sent: this message would reach %(count)s people, and the profile "
            "“%(profile)s” may reach at most %(limit)s per hour.", people) % {
                "count": people, "profile": profile, "limit": limits.recipients_per_hour})
        reasons.append(_("This message alone is over that limit: remove recipients."))
    total = size * people
    for limit, text in (
            (limits.bytes_per_message, ngettext(
                "Not sent: its attachments (%(size)s) sent to %(count)s person would take "
                "%(total)s of their document space; the profile “%(profile)s” may send at "
                "most %(limit)s of attachments per message, counted once for each person "
                "reached.",
                "Not sent: its attachments (%(size)s) sent to %(count)s people would take "
                "%(total)s of their document spaces; the profile “%(profile)s” may send at "
                "most %(limit)s of attachments per message, counted once for each person "
                "reached.", people)),
            (limits.bytes_per_day, ngettext(
                "Not sent: its attachments (%(size)s) sent to %(count)s person would take "
                "%(total)s of their document space; the profile “%(profile)s” may send at "
                "most %(limit)s of attachments per 24 hours, counted once for each person "
                "reached.",
                "Not sent: its attachments (%(size)s) sent to %(count)s people would take "
                "%(total)s of their document spaces; the profile “%(profile)s” may send at "
                "most %(limit)s of attachments per 24 hours, counted once for each person "
                "reached.", people))):
        if limit is not None and total > limit:
            reasons.append(text % {**_charge_sentence(people, size), "profile": profile,
                                   "limit": size_label(limit)})
            reasons.append(_("Remove attachments or recipients, or put the file in your "
                             "documents and share it."))
            break  # over the cap of one message: no need to say it is over the day's too
    if not reasons:
        return None
    reasons.append(_("Your draft is kept."))
    return Refusal(" ".join(reasons), None)


def _retry_at(sent: list[tuple[datetime.datetime, int]], window: datetime.timedelta,
              now: datetime.datetime, excess: int) -> datetime.datetime:
    """When enough of the oldest messages (`sent`: when, and how much each counts, oldest
    first) have left the window to take `excess` off."""
    gone = 0
    for sent_at, amount in sent:
        if sent_at <= now - window:
            continue
        gone += amount
        if gone >= excess:
            return sent_at + window
    return now + window  # not reached: the rows changed under us; a safe answer


def _minutes(until: datetime.datetime, now: datetime.datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() / 60))


def refusal_for_now(sender: User, people: int, size: int,
                    now: datetime.datetime | None = None) -> Refusal | None:
    """The sliding windows: would this message, sent now, take the sender past their
    messages or people per hour, or attachment bytes per 24 hours? One query (none for an
    account without such limits), a second to say when, if refused."""
    now = now or timezone.now()
    limits = limits_of(sender)
    total = size * people
    hourly = limits.messages_per_hour is not None or limits.recipients_per_hour is not None
    daily = limits.bytes_per_day is not None and total > 0
    if not (hourly or daily):
        return None
    window = DAY if daily else HOUR
    sent = Message.objects.filter(sender=sender, sent_at__gt=now - window)
    last_hour = Q(sent_at__gt=now - HOUR)
    figures = sent.aggregate(messages=Count("pk", filter=last_hour),
                             people=Sum("recipient_count", filter=last_hour),
                             bytes=Sum("recipient_bytes"))
    messages, reached, charged = (figures["messages"] or 0, figures["people"] or 0,
                                  figures["bytes"] or 0)
    over: list[tuple[str, datetime.timedelta, int]] = []  # kind, window, excess
    if limits.messages_per_hour is not None and messages + 1 > limits.messages_per_hour:
        over.append(("messages", HOUR, messages + 1 - limits.messages_per_hour))
    if limits.recipients_per_hour is not None and reached + people > limits.recipients_per_hour:
        over.append(("people", HOUR, reached + people - limits.recipients_per_hour))
    if daily and limits.bytes_per_day is not None and charged + total > limits.bytes_per_day:
        over.append(("bytes", DAY, charged + total - limits.bytes_per_day))
    if not over:
        return None
    rows = [(sent_at, {"messages": 1, "people": count, "bytes": size_sent})
            for sent_at, count, size_sent in sent.order_by("sent_at", "pk").values_list(
                "sent_at", "recipient_count", "recipient_bytes") if sent_at is not None]
    # Say the limit that keeps the sender waiting longest: then the message can go.
    when, kind = max(((_retry_at([(at, amounts[kind]) for at, amounts in rows], span, now,
                                 excess), kind) for kind, span, excess in over),
                     key=lambda pair: pair[0])
    profile = _profile(sender)
    local = timezone.localtime(when)
    if kind == "messages":
        text = ngettext(
            "Not sent: you have sent %(count)s message in the last hour, the most for the "
            "profile “%(profile)s”.",
            "Not sent: you have sent %(count)s messages in the last hour, the most for the "
            "profile “%(profile)s”.", messages) % {"count": messages, "profile": profile}
        minutes = _minutes(when, now)
        text += " " + ngettext(
            "You can send again in %(minutes)s minute (at %(time)s).",
            "You can send again in %(minutes)s minutes (at %(time)s).", minutes) % {
                "minutes": minutes, "time": date_filter(local, "TIME_FORMAT")}
    elif kind == "people":
        text = ngettext(
            "Not sent: this message would reach %(count)s person and you have reached "
            "%(done)s in the last hour; the profile “%(profile)s” may reach at most %(limit)s "
            "per hour.",
            "Not sent: this message would reach %(count)s people and you have reached "
            "%(done)s in the last hour; the profile “%(profile)s” may reach at most %(limit)s "
            "per hour.", people) % {"count": people, "done": reached, "profile": profile,
                                    "limit": limits.recipients_per_hour}
        minutes = _minutes(when, now)
        text += " " + ngettext(
            "You can send it in %(minutes)s minute (at %(time)s).",
            "You can send it in %(minutes)s minutes (at %(time)s).", minutes) % {
                "minutes": minutes, "time": date_filter(local, "TIME_FORMAT")}
    else:
        text = ngettext(
            "Not sent: its attachments (%(size)s) sent to %(count)s person would take "
            "%(total)s of their document space, and your messages of the last 24 hours "
            "already count for %(done)s; the profile “%(profile)s” may send at most "
            "%(limit)s of attachments per 24 hours, counted once for each person reached.",
            "Not sent: its attachments (%(size)s) sent to %(count)s people would take "
            "%(total)s of their document spaces, and your messages of the last 24 hours "
            "already count for %(done)s; the profile “%(profile)s” may send at most "
            "%(limit)s of attachments per 24 hours, counted once for each person reached.",
            people) % {**_charge_sentence(people, size), "done": size_label(charged),
                       "profile": profile, "limit": size_label(limits.bytes_per_day or 0)}
        text += " " + _("You can send it from %(date)s.") % {
            "date": date_filter(local, "SHORT_DATETIME_FORMAT")}
    return Refusal(" ".join([text, _("Your draft is kept.")]), when)
