"""The verification harness itself: the scoreboard cannot pass vacuously, stall patterns are replayable."""

import itertools

import pytest

from din.sim.common.scoreboard import Scoreboard, ScoreboardError
from din.sim.common.stall import PATTERNS, stall_pattern


def take(it, n):
    return list(itertools.islice(it, n))


def test_scoreboard_passes_when_all_match():
    sb = Scoreboard("t")
    for i in range(5):
        sb.expect(bytes([i]))
    for i in range(5):
        assert sb.observe(bytes([i]))
    assert sb.finish() == 5


def test_scoreboard_fails_when_nothing_checked():
    with pytest.raises(ScoreboardError, match="only 0 item"):
        Scoreboard("t").finish()


def test_scoreboard_fails_on_missing():
    sb = Scoreboard("t")
    sb.expect(b"a")
    sb.expect(b"b")
    sb.observe(b"a")
    with pytest.raises(ScoreboardError, match="never arrived"):
        sb.finish()


def test_scoreboard_fails_on_extra():
    sb = Scoreboard("t")
    sb.expect(b"a")
    sb.observe(b"a")
    sb.observe(b"b")
    with pytest.raises(ScoreboardError, match="extra item"):
        sb.finish()


def test_scoreboard_fails_on_reorder():
    sb = Scoreboard("t")
    for x in (b"a", b"b", b"c"):
        sb.expect(x)
    sb.observe(b"b")
    sb.observe(b"a")
    sb.observe(b"c")
    with pytest.raises(ScoreboardError, match="out of order"):
        sb.finish()


def test_scoreboard_fails_on_mismatch_and_names_the_byte():
    sb = Scoreboard("t")
    sb.expect(b"\x00\x01\x02")
    sb.observe(b"\x00\x07\x02")
    with pytest.raises(ScoreboardError, match="first difference at byte 1"):
        sb.finish()


def test_scoreboard_fails_on_reported_error_and_unhit_bins():
    sb = Scoreboard("t")
    sb.expect(1)
    sb.observe(1)
    sb.error("X/Z on tdata while valid")
    with pytest.raises(ScoreboardError, match="X/Z"):
        sb.finish()
    sb2 = Scoreboard("t2")
    sb2.expect(1)
    sb2.observe(1)
    sb2.require_bin("bad_frame")
    with pytest.raises(ScoreboardError, match="bad_frame"):
        sb2.finish()
    sb2.hit("bad_frame")
    assert sb2.finish() == 1


def test_stall_none_never_stalls():
    assert not any(take(stall_pattern("none"), 1000))


def test_stall_periodic_duty_and_phase():
    a = take(stall_pattern("periodic", seed=0, period=(3, 2)), 10)
    assert a == [False, False, False, True, True] * 2
    b = take(stall_pattern("periodic", seed=1, period=(3, 2)), 10)
    assert b != a and sum(b) == 4


def test_stall_random_is_replayable_and_seeded():
    a = take(stall_pattern("random", seed=7), 2000)
    assert a == take(stall_pattern("random", seed=7), 2000)
    assert a != take(stall_pattern("random", seed=8), 2000)
    assert 0.25 < sum(a) / len(a) < 0.45


def test_stall_unknown_pattern_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown stall pattern"):
        stall_pattern("sometimes")
    assert PATTERNS == ("none", "periodic", "random")
