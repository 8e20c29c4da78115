"""Class polls: rooms, one vote per voter and question, refusals with a message, bounds, expiry."""

import sqlite3
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annlab import votes
from annlab.lessons import Prediction

CHOICES = Prediction("choice", ("better", "the same", "worse"))
NUMBER = Prediction("number", (), 0.0, 10.0, "digits")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "votes.sqlite3"


def test_a_room_takes_one_vote_per_voter_and_counts_them(db):
    room, host = votes.open_room("hopfield", 5, CHOICES, path=db)
    assert votes.CODE.match(room.code) and votes.get_room(room.code, path=db) == room
    for value in ("better", "better", "worse"):
        assert "vote is in" in votes.cast(room.code, votes.new_voter(), 5, value, path=db)
    assert votes.tally(room.code, 5, path=db) == (["better", "the same", "worse"], [2, 0, 1])
    # lower-case codes typed by a student still find the room
    assert votes.get_room(room.code.lower(), path=db).code == room.code


def test_number_votes_fall_into_bins(db):
    room, _ = votes.open_room("hopfield", 4, NUMBER, path=db)
    for value in (0, 0.5, 9.99, 10, "3"):
        votes.cast(room.code, votes.new_voter(), 4, value, path=db)
    labels, counts = votes.tally(room.code, 4, path=db)
    assert len(labels) == 10 and sum(counts) == 5
    assert counts[0] == 2 and counts[-1] == 2 and counts[3] == 1


@pytest.mark.parametrize(
    "value, message",
    [("maybe", "not one of the choices"), ("", "not one of the choices"), (3, "not one of the choices")],
)
def test_a_vote_outside_the_choices_is_refused(db, value, message):
    room, _ = votes.open_room("l", 1, CHOICES, path=db)
    with pytest.raises(votes.VoteError, match=message):
        votes.cast(room.code, votes.new_voter(), 1, value, path=db)
    assert votes.n_votes(db) == 0


@pytest.mark.parametrize("value", [-1, 10.5, float("nan"), float("inf"), "ten", None, True])
def test_a_number_outside_the_range_or_not_a_number_is_refused(db, value):
    room, _ = votes.open_room("l", 1, NUMBER, path=db)
    with pytest.raises(votes.VoteError):
        votes.cast(room.code, votes.new_voter(), 1, value, path=db)
    assert votes.n_votes(db) == 0


def test_a_replayed_vote_is_refused_and_changes_nothing(db):
    room, _ = votes.open_room("l", 1, CHOICES, path=db)
    voter = votes.new_voter()
    votes.cast(room.code, voter, 1, "better", path=db)
    with pytest.raises(votes.VoteError, match="already voted"):
        votes.cast(room.code, voter, 1, "worse", path=db)
    assert votes.tally(room.code, 1, path=db)[1] == [1, 0, 0]


@pytest.mark.parametrize(
    "code, voter, scene",
    [
        ("AB", "0" * 32, 1),  # short code
        ("ABCD; DROP TABLE votes", "0" * 32, 1),
        (None, "0" * 32, 1),
        ("ABCD", "not-a-token", 1),
        ("ABCD", "0" * 31, 1),
        ("ABCD", "0" * 32, "1"),
        ("ABCD", "0" * 32, True),
    ],
)
def test_a_malformed_vote_gets_a_message(db, code, voter, scene):
    votes.open_room("l", 1, CHOICES, path=db)
    with pytest.raises(votes.VoteError):
        votes.cast(code, voter, scene, "better", path=db)
    assert votes.n_votes(db) == 0


def test_a_closed_room_and_a_left_question_refuse_votes(db):
    room, host = votes.open_room("l", 1, CHOICES, path=db)
    votes.move(room.code, host, 2, NUMBER, path=db)
    with pytest.raises(votes.VoteError, match="moved on"):
        votes.cast(room.code, votes.new_voter(), 1, "better", path=db)
    votes.cast(room.code, votes.new_voter(), 2, 4, path=db)
    votes.reveal(room.code, host, path=db)
    with pytest.raises(votes.VoteError, match="already shown"):
        votes.cast(room.code, votes.new_voter(), 2, 5, path=db)
    votes.close(room.code, host, path=db)
    with pytest.raises(votes.VoteError, match="closed"):
        votes.cast(room.code, votes.new_voter(), 2, 5, path=db)
    assert votes.n_votes(db) == 1


def test_only_the_presenter_changes_a_room(db):
    room, host = votes.open_room("l", 1, CHOICES, path=db)
    with pytest.raises(votes.VoteError):
        votes.close(room.code, votes.new_voter(), path=db)
    with pytest.raises(votes.VoteError):
        votes.reveal(room.code, "x", path=db)
    assert not votes.get_room(room.code, path=db).closed


def test_rooms_expire_with_their_votes(db):
    room, _ = votes.open_room("l", 1, CHOICES, hours=-1 / 3600, path=db)  # expired at once
    assert votes.get_room(room.code, path=db) is None
    with pytest.raises(votes.VoteError, match="no open room"):
        votes.cast(room.code, votes.new_voter(), 1, "better", path=db)
    fresh, _ = votes.open_room("l", 1, CHOICES, path=db)  # opening purges expired rooms
    with sqlite3.connect(db) as con:
        codes = [c for (c,) in con.execute("SELECT code FROM rooms")]
    assert codes == [fresh.code]


def test_a_flood_of_votes_is_bounded(db, monkeypatch):
    monkeypatch.setattr(votes, "MAX_VOTES_PER_QUESTION", 25)
    room, _ = votes.open_room("l", 1, CHOICES, path=db)
    refused = 0
    for _ in range(60):
        try:
            votes.cast(room.code, votes.new_voter(), 1, "better", path=db)
        except votes.VoteError as err:
            assert "full" in str(err)
            refused += 1
    assert votes.n_votes(db) == 25 and refused == 35
    size = db.stat().st_size
    for _ in range(50):
        with pytest.raises(votes.VoteError):
            votes.cast(room.code, votes.new_voter(), 1, "worse", path=db)
    assert db.stat().st_size <= size + 8192  # refused votes write nothing


def test_the_number_of_open_rooms_is_bounded(db, monkeypatch):
    monkeypatch.setattr(votes, "MAX_OPEN_ROOMS", 3)
    for _ in range(3):
        votes.open_room("l", 1, CHOICES, path=db)
    with pytest.raises(votes.VoteError, match="Too many rooms"):
        votes.open_room("l", 1, CHOICES, path=db)


def test_votes_hold_no_personal_data(db):
    room, _ = votes.open_room("l", 1, CHOICES, path=db)
    votes.cast(room.code, votes.new_voter(), 1, "better", path=db)
    with sqlite3.connect(db) as con:
        columns = {row[1] for row in con.execute("PRAGMA table_info(votes)")}
    assert columns == {"code", "scene", "round", "voter", "value", "at"}


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.none()))
def test_any_value_is_either_a_choice_or_refused(tmp_path_factory, value):
    db = tmp_path_factory.mktemp("v") / "votes.sqlite3"
    room, _ = votes.open_room("l", 1, CHOICES, path=db)
    try:
        votes.cast(room.code, votes.new_voter(), 1, value, path=db)
    except votes.VoteError:
        assert votes.n_votes(db) == 0
    else:
        assert value in CHOICES.choices
        assert votes.n_votes(db) == 1


def test_expiry_is_in_the_future_for_a_fresh_room(db):
    room, _ = votes.open_room("l", 1, CHOICES, path=db)
    assert room.expires > time.time() + 3600


CORRECT = Prediction("choice", ("better", "the same", "worse"), correct="better")


def test_peer_instruction_a_second_vote_after_discussion(db):
    room, host = votes.open_room("hopfield", 5, CORRECT, path=db)
    a, b, c = (votes.new_voter() for _ in range(3))
    for voter, value in ((a, "worse"), (b, "the same"), (c, "better")):
        votes.cast(room.code, voter, 5, value, path=db)
    with pytest.raises(votes.VoteError, match="already voted"):
        votes.cast(room.code, a, 5, "better", path=db)
    assert votes.second_round(room.code, host, path=db).round == 2
    with pytest.raises(votes.VoteError, match="opens once"):
        votes.second_round(room.code, host, path=db)
    for voter, value in ((a, "better"), (b, "the same"), (c, "better")):
        votes.cast(room.code, voter, 5, value, path=db)
    with pytest.raises(votes.VoteError, match="already voted on this question in this round"):
        votes.cast(room.code, a, 5, "worse", path=db)
    assert votes.tally(room.code, 5, round=1, path=db) == (["better", "the same", "worse"], [1, 1, 1])
    assert votes.tally(room.code, 5, path=db) == (["better", "the same", "worse"], [2, 1, 0])
    moved = votes.shift(room.code, 5, lambda v: CORRECT.right(v), path=db)
    assert (moved.n1, moved.n2, moved.right1, moved.right2) == (3, 3, 1, 2)
    assert (moved.wrong_then_right, moved.wrong_both, moved.moved) == (1, 2, 0.5)
    votes.reveal(room.code, host, path=db)
    with pytest.raises(votes.VoteError, match="already shown"):
        votes.cast(room.code, votes.new_voter(), 5, "better", path=db)
    # the next scene starts again at round 1
    assert votes.move(room.code, host, 6, NUMBER, path=db).round == 1


def test_no_second_vote_on_a_revealed_question_or_by_a_stranger(db):
    room, host = votes.open_room("l", 1, CHOICES, path=db)
    with pytest.raises(votes.VoteError):
        votes.second_round(room.code, votes.new_voter(), path=db)
    votes.reveal(room.code, host, path=db)
    with pytest.raises(votes.VoteError, match="opens once"):
        votes.second_round(room.code, host, path=db)


def test_the_room_counts_download_as_csv_without_voter_tokens(db):
    import csv
    import io

    room, host = votes.open_room("hopfield", 4, NUMBER, path=db)
    voters = [votes.new_voter() for _ in range(3)]
    for voter, value in zip(voters, (0.5, 3, 9.5), strict=True):
        votes.cast(room.code, voter, 4, value, path=db)
    votes.second_round(room.code, host, path=db)
    for voter in voters[:2]:
        votes.cast(room.code, voter, 4, 3.2, path=db)
    votes.move(room.code, host, 5, CHOICES, path=db)
    votes.cast(room.code, voters[0], 5, "worse", path=db)
    text = votes.counts_csv(room.code, "hopfield", {4: NUMBER, 5: CHOICES}, path=db)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert set(rows[0]) == {"room", "lesson", "scene", "round", "answer", "votes"}
    assert len(rows) == 10 + 10 + 3  # scene 4: two rounds of ten bins; scene 5: one round of 3 choices
    by = {(r["scene"], r["round"], r["answer"]): int(r["votes"]) for r in rows}
    assert by[("4", "1", "0-1")] == 1 and by[("4", "1", "3-4")] == 1 and by[("4", "1", "9-10")] == 1
    assert by[("4", "2", "3-4")] == 2 and sum(v for (s, r, _), v in by.items() if (s, r) == ("4", "2")) == 2
    assert by[("5", "1", "worse")] == 1 and by[("5", "1", "better")] == 0
    assert not any(voter in text for voter in voters), "no voter token leaves the database"


def test_an_older_database_is_replaced_not_misread(db):
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE votes (code TEXT, scene INTEGER, voter TEXT, value TEXT, at REAL)")
    room, _ = votes.open_room("l", 1, CHOICES, path=db)
    votes.cast(room.code, votes.new_voter(), 1, "better", path=db)
    assert votes.tally(room.code, 1, path=db)[1] == [1, 0, 0]
