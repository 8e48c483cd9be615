"""How long the free text written on an order's events may be, in one place: the page
forms, the API serializers and transition() all read these numbers, so a note one
interface accepts is never refused (or cut) by another."""

from __future__ import annotations

NOTE_MAX = 2000  # a note, reason or report on an event: 说明, 退单/延期/不予受理理由, 回访记录, 协办反馈
LONG_TEXT_MAX = 4000  # what becomes the order's reply: 答复, 办理结果, 自行处置情况

# Events whose note is the order's reply (and so may be as long as one).
LONG_NOTE_KINDS = frozenset({"reply", "answer_now", "self_handle"})


def note_limit(kind: str) -> int:
    return LONG_TEXT_MAX if kind in LONG_NOTE_KINDS else NOTE_MAX
