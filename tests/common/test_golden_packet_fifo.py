"""Golden model of the packet FIFOs: hand-worked cases and property tests (milliseconds)."""

import pytest
from hypothesis import given, settings, strategies as st

from din.golden.common.packet_fifo import PacketFifoModel, REASONS, beats_of, predict


def test_beats_of():
    assert [beats_of(n, 8) for n in (0, 1, 8, 9, 16, 17)] == [1, 1, 1, 2, 2, 3]


def test_hand_worked_backpressure():
    # depth 4 beats of 8 bytes: 32 bytes fit, 33 do not; a bad frame is dropped only with drop_bad_frame.
    frames = [(b"a" * 32, 0), (b"b" * 33, 0), (b"c" * 3, 1), (b"d" * 9, 0)]
    outcomes, delivered = predict(frames, depth=4)
    assert [o.verdict for o in outcomes] == ["delivered", "oversize", "bad", "delivered"]
    assert delivered == [(b"a" * 32, 0), (b"d" * 9, 0)]
    outcomes, delivered = predict(frames, depth=4, drop_bad_frame=False)
    assert [o.verdict for o in outcomes] == ["delivered", "oversize", "delivered", "delivered"]
    assert delivered == [(b"a" * 32, 0), (b"c" * 3, 1), (b"d" * 9, 0)]
    # no user field: the flag cannot exist
    _, delivered = predict([(b"c", 1)], depth=4, user_width=0)
    assert delivered == [(b"c", 1)]


def test_hand_worked_drop_when_full():
    # depth 4, sink stalled: 2 + 2 beats fill it; the next 1-beat frame is "full"; an oversize frame into a
    # non-empty FIFO meets a full memory first ("full"); into an empty one it is "oversize".
    frames = [b"x" * 16, b"y" * 9, b"z", b"w" * 40]
    outcomes, delivered = predict(frames, depth=4, drop_when_full=True, drain="stalled")
    assert [o.verdict for o in outcomes] == ["delivered", "delivered", "full", "full"]
    assert delivered == [(b"x" * 16, 0), (b"y" * 9, 0)]
    outcomes, _ = predict([b"w" * 40], depth=4, drop_when_full=True, drain="stalled")
    assert [o.verdict for o in outcomes] == ["oversize"]
    # a smaller frame after a dropped one can still fit
    outcomes, _ = predict([b"a" * 24, b"b" * 16, b"c" * 8], depth=4, drop_when_full=True, drain="stalled")
    assert [o.verdict for o in outcomes] == ["delivered", "full", "delivered"]


def test_backpressure_model_refuses_a_frame_that_must_wait():
    model = PacketFifoModel(depth=2)
    model.write(b"a" * 16)
    with pytest.raises(ValueError):
        model.write(b"b")


frame_st = st.tuples(st.binary(min_size=1, max_size=80), st.integers(0, 3))
config_st = st.fixed_dictionaries({
    "depth": st.sampled_from([1, 2, 4, 8, 16]),
    "data_width": st.sampled_from([8, 32, 64]),
    "user_width": st.sampled_from([0, 1, 2]),
    "drop_bad_frame": st.booleans(),
})


def _is_subsequence(sub, seq):
    it = iter(seq)
    return all(any(x == y for y in it) for x in sub)


@settings(max_examples=300, deadline=None)
@given(frames=st.lists(frame_st, max_size=30), cfg=config_st, drop_when_full=st.booleans(),
       drain=st.sampled_from(["continuous", "stalled"]))
def test_every_frame_accounted_once_and_order_kept(frames, cfg, drop_when_full, drain):
    if drain == "stalled" and not drop_when_full:
        drain = "continuous"           # stalled backpressure deadlocks unless everything fits
    outcomes, delivered = predict(frames, drop_when_full=drop_when_full, drain=drain, **cfg)
    assert len(outcomes) == len(frames)
    assert [(o.data, o.user) for o in outcomes] == list(frames)
    assert all(o.verdict in ("delivered",) + REASONS for o in outcomes)
    assert delivered == [(o.data, o.user) for o in outcomes if o.verdict == "delivered"]
    assert _is_subsequence(delivered, frames)
    bpb = cfg["data_width"] // 8
    for o in outcomes:
        n = beats_of(len(o.data), bpb)
        flagged = cfg["drop_bad_frame"] and cfg["user_width"] > 0 and o.user & 1
        if o.verdict == "delivered":
            assert n <= cfg["depth"] and not flagged
        if o.verdict == "bad":
            assert flagged
        if o.verdict == "full":
            assert drop_when_full
        if not drop_when_full:
            assert (o.verdict == "oversize") == (n > cfg["depth"])


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(frame_st, max_size=30), cfg=config_st)
def test_drop_when_full_stalled_matches_running_sum(frames, cfg):
    """An independent formulation: with the sink stalled, a frame is kept iff the kept beats so far plus its own
    fit in the depth (and it is not flagged bad)."""
    outcomes, _ = predict(frames, drop_when_full=True, drain="stalled", **cfg)
    bpb, used = cfg["data_width"] // 8, 0
    for (data, user), o in zip(frames, outcomes):
        n = beats_of(len(data), bpb)
        fits = used + n <= cfg["depth"]
        flagged = cfg["drop_bad_frame"] and cfg["user_width"] > 0 and user & 1
        assert (o.verdict == "delivered") == (fits and not flagged), (o, used, n)
        if not fits:
            assert o.verdict == ("oversize" if used == 0 else "full")
        if o.verdict == "delivered":
            used += n
    assert used <= cfg["depth"]


@settings(max_examples=200, deadline=None)
@given(frames=st.lists(frame_st, max_size=30), cfg=config_st, reads=st.lists(st.booleans(), max_size=30))
def test_backpressure_outcome_independent_of_drain_schedule(frames, cfg, reads):
    """Without drop_when_full, reading at arbitrary points (whenever the next frame fits) changes nothing."""
    base, delivered = predict(frames, **cfg)
    model = PacketFifoModel(**cfg)
    got = []
    for i, (data, user) in enumerate(frames):
        if i < len(reads) and reads[i] and model.stored:
            got.append(model.read())
        while model.verdict(data, user) == "delivered" and \
                beats_of(len(data), cfg["data_width"] // 8) > cfg["depth"] - model.level:
            got.append(model.read())
        model.write(data, user)
    got += model.drain()
    assert [o.verdict for o in model.outcomes] == [o.verdict for o in base]
    assert got == delivered
