"""Class polls: rooms with short codes, one vote per student per question and round, in SQLite.

Peer instruction (Mazur): the class votes, discusses in pairs, and votes again on the same question
(round 2); :func:`shift` says how the answers moved, :func:`counts_csv` gives the room's counts per
scene and round (no voter tokens).

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
import csv
import dataclasses
import io
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
SCHEMA_VERSION = 2  # 2: rounds (a second vote after discussion)
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
    revealed INTEGER NOT NULL DEFAULT 0,
    round INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS votes (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    scene INTEGER NOT NULL,
    round INTEGER NOT NULL DEFAULT 1,
    voter TEXT NOT NULL,
    value TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (code, scene, round, voter)
);
"""
ROUNDS = 2


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
    round: int = 1  # 2 once the presenter opened the second vote (after discussion)


def db_path() -> Path:
    return cache_dir() / "votes.sqlite3"


@contextlib.contextmanager
def _connect(path: Path | None = None):
    con = sqlite3.connect(str(path or db_path()), timeout=10, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA journal_mode = WAL")
        if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            # rooms live for hours: an older database's rooms are simply dropped, not migrated
            con.executescript(
                "DROP TABLE IF EXISTS votes; DROP TABLE IF EXISTS rooms; "
                f"PRAGMA user_version = {SCHEMA_VERSION};"
            )
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


ROOM_COLUMNS = "code, lesson, scene, question, expires, closed, revealed, round"


def _room(row) -> Room:
    code, lesson, scene, question, expires, closed, revealed, round_ = row
    return Room(code, lesson, scene, _prediction(question), expires, bool(closed), bool(revealed), round_)


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
            f"SELECT {ROOM_COLUMNS} FROM rooms WHERE code = ? AND expires > ?", (code, time.time())
        ).fetchone()
    return _room(row) if row else None


def _host_update(
    code: str, host: str, sql: str, args: tuple, path, *, where: str = "", why: str = ""
) -> Room:
    code = _check_code(code)
    if not isinstance(host, str) or not HOST.match(host):
        raise VoteError("Only the presenter who opened the room can change it.")
    with _connect(path) as con:
        cur = con.execute(
            sql + " WHERE code = ? AND host = ? AND expires > ?" + where, (*args, code, host, time.time())
        )
        if cur.rowcount != 1:
            raise VoteError(why or "This room is closed, expired, or was opened by another presenter.")
    room = get_room(code, path=path)
    assert room is not None
    return room


def move(code: str, host: str, scene: int, prediction: Prediction | None, *, path=None) -> Room:
    """The presenter moved to ``scene``: its question opens (hidden again until revealed)."""
    args = (int(scene), _question(prediction))
    sql = "UPDATE rooms SET scene = ?, question = ?, revealed = 0, round = 1"
    return _host_update(code, host, sql, args, path)


def second_round(code: str, host: str, *, path=None) -> Room:
    """The class has discussed in pairs: open the second vote on the same question (before the reveal).

    Everyone may vote again, once; the first round's votes stay for the comparison."""
    room = get_room(code, path=path)
    if room is not None and room.prediction is None:
        raise VoteError("There is nothing to vote on in this scene.")
    why = "The second vote opens once, on an open question, before the answer is shown."
    where = " AND round = 1 AND revealed = 0 AND closed = 0"
    return _host_update(code, host, "UPDATE rooms SET round = 2", (), path, where=where, why=why)


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
            row = con.execute(f"SELECT {ROOM_COLUMNS} FROM rooms WHERE code = ?", (code,)).fetchone()
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
                "SELECT 1 FROM votes WHERE code = ? AND scene = ? AND round = ? AND voter = ?",
                (code, scene, room.round, voter),
            ).fetchone():
                again = " in this round" if room.round > 1 else ""
                raise VoteError(f"You have already voted on this question{again}.")
            (n_question,) = con.execute(
                "SELECT COUNT(*) FROM votes WHERE code = ? AND scene = ?", (code, scene)
            ).fetchone()
            (n_room,) = con.execute("SELECT COUNT(*) FROM votes WHERE code = ?", (code,)).fetchone()
            (n_all,) = con.execute("SELECT COUNT(*) FROM votes").fetchone()
            if n_question >= MAX_VOTES_PER_QUESTION or n_room >= MAX_VOTES_PER_ROOM or n_all >= MAX_VOTES:
                raise VoteError("This poll is full: no more votes are taken.")
            con.execute(
                "INSERT INTO votes (code, scene, round, voter, value, at) VALUES (?, ?, ?, ?, ?, ?)",
                (code, scene, room.round, voter, text, now),
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return "Thank you: your vote is in."


def _values(code: str, scene: int, round_: int, path) -> dict[str, str]:
    with _connect(path) as con:
        rows = con.execute(
            "SELECT voter, value FROM votes WHERE code = ? AND scene = ? AND round = ?",
            (_check_code(code), scene, round_),
        ).fetchall()
    return dict(rows)


def histogram(prediction: Prediction, values) -> tuple[list[str], list[int]]:
    """Labels (choices, or number bins) and counts of ``values`` (votes as stored)."""
    values = list(values)
    if prediction.kind == "choice":
        return list(prediction.choices), [values.count(c) for c in prediction.choices]
    bins = prediction.bins()
    counts = [0] * len(bins)
    for v in values:
        counts[prediction.bin_of(float(v), len(bins))] += 1
    return [f"{lo:g}-{hi:g}" for lo, hi in bins], counts


def tally(code: str, scene: int, *, round: int | None = None, path=None) -> tuple[list[str], list[int]]:  # noqa: A002
    """The histogram of the votes on ``scene`` in ``round`` (default: the room's current round)."""
    room = get_room(code, path=path)
    if room is None or room.prediction is None:
        return [], []
    return histogram(room.prediction, _values(code, scene, round or room.round, path).values())


@dataclasses.dataclass(frozen=True)
class Shift:
    """How a class's answers moved between the two votes on one question (peer instruction)."""

    n1: int  # votes in round 1
    n2: int  # votes in round 2
    right1: int  # right answers in round 1
    right2: int  # right answers in round 2
    wrong_then_right: int  # voters wrong in round 1 and right in round 2
    wrong_both: int  # voters who voted in both rounds and were wrong in round 1

    @property
    def moved(self) -> float | None:
        """The share of those wrong in round 1 (and voting again) who moved to the answer."""
        return self.wrong_then_right / self.wrong_both if self.wrong_both else None


def shift(code: str, scene: int, right, *, path=None) -> Shift:
    """Round 1 against round 2 on ``scene``; ``right(value) -> bool`` says whether a vote is right.

    Voters are followed between the rounds by their random token, which never leaves this function."""
    room = get_room(code, path=path)
    if room is None or room.prediction is None:
        return Shift(0, 0, 0, 0, 0, 0)
    p = room.prediction
    parse = (lambda v: v) if p.kind == "choice" else float
    first, second = (_values(code, scene, r, path) for r in (1, 2))
    ok1 = {voter: bool(right(parse(v))) for voter, v in first.items()}
    ok2 = {voter: bool(right(parse(v))) for voter, v in second.items()}
    both = [voter for voter in ok1 if voter in ok2 and not ok1[voter]]
    return Shift(
        len(first), len(second), sum(ok1.values()), sum(ok2.values()), sum(ok2[v] for v in both), len(both)
    )


def counts_csv(code: str, lesson: str, predictions: dict[int, Prediction], *, path=None) -> str:
    """The room's counts as CSV: one row per scene, round and answer (choice or number bin), with the
    number of votes. No voter tokens, no times: what a lecturer may keep. ``predictions`` maps each
    scene number to its question (the lesson file's)."""
    code = _check_code(code)
    with _connect(path) as con:
        rows = con.execute(
            "SELECT DISTINCT scene, round FROM votes WHERE code = ? ORDER BY scene, round", (code,)
        ).fetchall()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["room", "lesson", "scene", "round", "answer", "votes"])
    for scene, round_ in rows:
        prediction = predictions.get(scene)
        if prediction is None:
            continue
        labels, counts = histogram(prediction, _values(code, scene, round_, path).values())
        for label, count in zip(labels, counts, strict=True):
            writer.writerow([code, lesson, scene, round_, label, count])
    return out.getvalue()


def n_votes(path=None) -> int:
    """All votes stored on this server."""
    with _connect(path) as con:
        return con.execute("SELECT COUNT(*) FROM votes").fetchone()[0]
