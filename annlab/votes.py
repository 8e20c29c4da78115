"""Class polls: rooms with short codes, one vote per student per question, in SQLite.

The database lives in the cache folder (:func:`annlab.settings.cache_dir`), so every server process of
the lab sees the same rooms. It holds no personal data: a room is its code, the lesson and scene it
follows, the question's choices (or number range), a secret the presenter's browser keeps, and times; a
vote is the room, the scene, a random token the voter's browser made up, and the value. Rooms expire
(:data:`ROOM_HOURS`) and their votes go with them; everything is bounded (:data:`MAX_OPEN_ROOMS`,
:data:`MAX_VOTES_PER_QUESTION`, :data:`MAX_VOTES_PER_ROOM`, :data:`MAX_VOTES`), so a flood of votes
cannot fill the disk. A malformed, replayed, out-of-choices or late vote raises :class:`VoteError`
with a message for the student and changes nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
import secrets
import sqlite3
import time
from pathlib import Path

from annlab.lessons import Prediction
from annlab.settings import cache_dir

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: easy to read off a projector
CODE_LENGTH = 4
ROOM_HOURS = 4.0
MAX_OPEN_ROOMS = 200
MAX_VOTES_PER_QUESTION = 400
MAX_VOTES_PER_ROOM = 4000
MAX_VOTES = 100_000
VOTER = re.compile(r"^[0-9a-f]{32}$")
CODE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")
HOST = re.compile(r"^[0-9a-f]{32}$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    lesson TEXT NOT NULL,
    scene INTEGER NOT NULL,
    question TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,
    revealed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS votes (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    scene INTEGER NOT NULL,
    voter TEXT NOT NULL,
    value TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (code, scene, voter)
);
"""


class VoteError(ValueError):
    """A vote or room request that was refused; the message is for the person who made it."""


@dataclasses.dataclass(frozen=True)
class Room:
    """A room as students see it: its code, where the presenter is, and the open question."""

    code: str
    lesson: str
    scene: int
    prediction: Prediction | None
    expires: float
    closed: bool
    revealed: bool


def db_path() -> Path:
    return cache_dir() / "votes.sqlite3"


@contextlib.contextmanager
def _connect(path: Path | None = None):
    con = sqlite3.connect(str(path or db_path()), timeout=10, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA journal_mode = WAL")
        con.executescript(SCHEMA)
        yield con
    finally:
        con.close()


def _question(prediction: Prediction | None) -> str:
    if prediction is None:
        return "{}"
    return json.dumps(dataclasses.asdict(prediction))


def _prediction(text: str) -> Prediction | None:
    raw = json.loads(text)
    if not raw:
        return None
    raw["choices"] = tuple(raw["choices"])
    return Prediction(**raw)


def _purge(con: sqlite3.Connection, now: float) -> None:
    con.execute("DELETE FROM votes WHERE code IN (SELECT code FROM rooms WHERE expires <= ?)", (now,))
    con.execute("DELETE FROM rooms WHERE expires <= ?", (now,))


def _room(row) -> Room:
    code, lesson, scene, question, expires, closed, revealed = row
    return Room(code, lesson, scene, _prediction(question), expires, bool(closed), bool(revealed))


def _check_code(code) -> str:
    if not isinstance(code, str) or not CODE.match(code.strip().upper()):
        raise VoteError(f"A room code is {CODE_LENGTH} letters or digits, like 'K7QM'.")
    return code.strip().upper()


def open_room(
    lesson: str, scene: int, prediction: Prediction | None, *, hours: float = ROOM_HOURS, path=None
) -> tuple[Room, str]:
    """Open a room for ``lesson`` at ``scene``; returns the room and the presenter's secret."""
    now = time.time()
    host = secrets.token_hex(16)
    with _connect(path) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            _purge(con, now)
            (n_open,) = con.execute("SELECT COUNT(*) FROM rooms").fetchone()
            if n_open >= MAX_OPEN_ROOMS:
                raise VoteError("Too many rooms are open on this server; try again later.")
            for _ in range(50):
                code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
                if con.execute("SELECT 1 FROM rooms WHERE code = ?", (code,)).fetchone() is None:
                    break
            else:
                raise VoteError("No free room code; try again.")
            con.execute(
                "INSERT INTO rooms (code, host, lesson, scene, question, created, expires) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (code, host, lesson, int(scene), _question(prediction), now, now + hours * 3600),
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return Room(code, lesson, int(scene), prediction, now + hours * 3600, False, False), host


def get_room(code: str, *, path=None) -> Room | None:
    """The room with ``code``, or None when there is none (or it expired)."""
    try:
        code = _check_code(code)
    except VoteError:
        return None
    with _connect(path) as con:
        row = con.execute(
            "SELECT code, lesson, scene, question, expires, closed, revealed FROM rooms "
            "WHERE code = ? AND expires > ?",
            (code, time.time()),
        ).fetchone()
    return _room(row) if row else None


def _host_update(code: str, host: str, sql: str, args: tuple, path) -> Room:
    code = _check_code(code)
    if not isinstance(host, str) or not HOST.match(host):
        raise VoteError("Only the presenter who opened the room can change it.")
    with _connect(path) as con:
        cur = con.execute(
            sql + " WHERE code = ? AND host = ? AND expires > ?", (*args, code, host, time.time())
        )
        if cur.rowcount != 1:
            raise VoteError("This room is closed, expired, or was opened by another presenter.")
    room = get_room(code, path=path)
    assert room is not None
    return room


def move(code: str, host: str, scene: int, prediction: Prediction | None, *, path=None) -> Room:
    """The presenter moved to ``scene``: its question opens (hidden again until revealed)."""
    args = (int(scene), _question(prediction))
    return _host_update(code, host, "UPDATE rooms SET scene = ?, question = ?, revealed = 0", args, path)


def reveal(code: str, host: str, *, path=None) -> Room:
    """The presenter revealed the answer of the current scene (voting on it stops)."""
    return _host_update(code, host, "UPDATE rooms SET revealed = 1", (), path)


def close(code: str, host: str, *, path=None) -> Room:
    """Close the room: no more votes."""
    return _host_update(code, host, "UPDATE rooms SET closed = 1", (), path)


def new_voter() -> str:
    """A random token standing for one browser (no name, no address): it makes a replayed vote visible."""
    return secrets.token_hex(16)


def _value(prediction: Prediction, value) -> str:
    if prediction.kind == "choice":
        if not isinstance(value, str) or value not in prediction.choices:
            raise VoteError("That is not one of the choices on the screen.")
        return value
    if isinstance(value, bool):
        raise VoteError("Give a number.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise VoteError("Give a number.") from None
    if not math.isfinite(number) or not prediction.low <= number <= prediction.high:
        raise VoteError(f"Give a number between {prediction.low:g} and {prediction.high:g}.")
    return repr(number)


def cast(code: str, voter: str, scene: int, value, *, path=None) -> str:
    """Record one vote for the question of ``scene`` in room ``code``; returns a thank-you line.

    Raises :class:`VoteError` (and records nothing) for a malformed code or voter token, a room that is
    closed or expired, a question the presenter has left or revealed, a value outside the choices, a
    second vote by the same voter, or a room, question or server that is full.
    """
    code = _check_code(code)
    if not isinstance(voter, str) or not VOTER.match(voter):
        raise VoteError("This vote does not come from the lab's vote form.")
    if isinstance(scene, bool) or not isinstance(scene, int):
        raise VoteError("This vote does not name a question.")
    now = time.time()
    with _connect(path) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            row = con.execute(
                "SELECT code, lesson, scene, question, expires, closed, revealed FROM rooms WHERE code = ?",
                (code,),
            ).fetchone()
            if row is None or row[4] <= now:
                raise VoteError(f"There is no open room {code}: check the code on the screen.")
            room = _room(row)
            if room.closed:
                raise VoteError("This room is closed.")
            if room.scene != scene:
                raise VoteError("The presenter has moved on: this question is closed.")
            if room.prediction is None:
                raise VoteError("There is nothing to vote on in this scene.")
            if room.revealed:
                raise VoteError("The answer is already shown: votes on this question are closed.")
            text = _value(room.prediction, value)
            if con.execute(
                "SELECT 1 FROM votes WHERE code = ? AND scene = ? AND voter = ?", (code, scene, voter)
            ).fetchone():
                raise VoteError("You have already voted on this question.")
            (n_question,) = con.execute(
                "SELECT COUNT(*) FROM votes WHERE code = ? AND scene = ?", (code, scene)
            ).fetchone()
            (n_room,) = con.execute("SELECT COUNT(*) FROM votes WHERE code = ?", (code,)).fetchone()
            (n_all,) = con.execute("SELECT COUNT(*) FROM votes").fetchone()
            if n_question >= MAX_VOTES_PER_QUESTION or n_room >= MAX_VOTES_PER_ROOM or n_all >= MAX_VOTES:
                raise VoteError("This poll is full: no more votes are taken.")
            con.execute("INSERT INTO votes VALUES (?, ?, ?, ?, ?)", (code, scene, voter, text, now))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return "Thank you: your vote is in."


def tally(code: str, scene: int, *, path=None) -> tuple[list[str], list[int]]:
    """The histogram of the votes on ``scene``: labels (choices, or number bins) and counts."""
    room = get_room(code, path=path)
    if room is None or room.prediction is None:
        return [], []
    with _connect(path) as con:
        values = [
            v for (v,) in con.execute("SELECT value FROM votes WHERE code = ? AND scene = ?", (code, scene))
        ]
    p = room.prediction
    if p.kind == "choice":
        return list(p.choices), [values.count(c) for c in p.choices]
    bins = p.bins()
    counts = [0] * len(bins)
    for v in values:
        i = min(int((float(v) - p.low) / (p.high - p.low) * len(bins)), len(bins) - 1)
        counts[i] += 1
    return [f"{lo:g}-{hi:g}" for lo, hi in bins], counts


def n_votes(path=None) -> int:
    """All votes stored on this server."""
    with _connect(path) as con:
        return con.execute("SELECT COUNT(*) FROM votes").fetchone()[0]
