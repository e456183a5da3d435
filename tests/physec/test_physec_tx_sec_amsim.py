"""PHYSec TX with the security engine (issue 7) in the Amaranth simulator: line words against the golden
transmitter (MODE 10 GCM and MODE 01 GMAC), and every frame's payload and tag checked by ``cryptography``'s AESGCM,
which knows nothing of the golden model or the RTL."""

import numpy as np
import pytest

from din.golden.physec.security import KeyConfig, KeySlot
from din.sim.common.tb import full_regression
from din.sim.physec.tb_tx_model import check_with_aesgcm
from din.sim.physec.tx_amsim import describe_mismatch, run_tx_amsim

FC_INIT = 0x1122334455667700
#: the cocotb tests (tests/physec/test_physec_tx_sec.py) run MODE 01, no key and FC_LIMIT on both simulators; here
#: they run under make regress only
regress_only = pytest.mark.skipif(not full_regression(), reason="make regress (DIN_REGRESSION=full) only; the cocotb "
                                  "tests cover it on both simulators")


def _keys(mode, seed):
    rng = np.random.default_rng(seed)
    slot = KeySlot(an=2, key=rng.bytes(32), salt=rng.bytes(12), ssci=int(rng.integers(0, 1 << 32)))
    return KeyConfig(mode=mode, fc_init=FC_INIT, slots=[slot])


@pytest.mark.parametrize("mode", ["gcm", pytest.param("gmac", marks=regress_only)])
def test_physec_tx_security_vs_golden_amsim(mode, seed):
    """Three frames: line words equal the golden transmitter's; AESGCM verifies frames 0 and 1 (tags in 1 and 2)."""
    frames = 3
    keys = _keys(mode, seed)
    got, want, info = run_tx_amsim(frames=frames, seed=seed, keys=keys)
    st = info["status"]
    assert st["tag_late"] == 0 and st["ks_underrun"] == 0 and st["j0_missing"] == 0 and st["cfg_err"] == 0, st
    assert np.array_equal(got, want), describe_mismatch(got, want)
    check_with_aesgcm(got, keys, FC_INIT, frames)


@regress_only
def test_physec_tx_fail_closed_without_key_amsim(seed):
    """REQUIRE_ENCRYPTION and no key: every frame is MODE 00 with Cm = 0 (all stuff), the client FIFO is flushed at
    each frame, no client block reaches the line; the line equals the golden transmitter's."""
    frames = 3
    keys = KeyConfig(mode="gcm", fc_init=FC_INIT, slots=[])
    got, want, info = run_tx_amsim(frames=frames, seed=seed, keys=keys)
    st = info["status"]
    assert np.array_equal(got, want), describe_mismatch(got, want)
    # tx_blocked counts frames when they are planned: the frame after the last one read is planned already
    assert st["blocks_carried"] == 0 and st["tx_blocked"] == frames + 1, st
    assert st["dropped"] > 900, st                         # frames 1 and 2 each flushed the blocks of a frame
    assert [f.mode for f in info["golden"].log] == [0] * frames


@regress_only
def test_physec_tx_fc_limit_amsim(seed):
    """FC_LIMIT = FC_INIT + 2: frames 0 and 1 are MODE 10, frame 1 announces Cm = 0, frames 2 and 3 are blocked
    (fail closed, FIFO flushed); REKEY_REQUIRED is set; line words equal the golden transmitter's."""
    frames = 4
    keys = _keys("gcm", seed)
    got, want, info = run_tx_amsim(frames=frames, seed=seed, keys=keys, fc_limit=FC_INIT + 2)
    st = info["status"]
    assert np.array_equal(got, want), describe_mismatch(got, want)
    assert [f.mode for f in info["golden"].log] == [2, 2, 0, 0]
    assert st["tx_blocked"] == 3 and st["rekey_required"] == 1, st      # frames 2, 3 and the planned 4
    check_with_aesgcm(got[:2 * 4112], keys, FC_INIT, 2)


def test_physec_tx_key_reinstalled_during_h_amsim(seed):
    """A key installed again while the previous install's H is still in the AES ring: that H is stale and must not
    mark the slot ready (it did, and the first frame was encrypted while the slot was being expanded again: found by
    the cocotb testbench's double key handshake). Two MODE 10 frames equal the golden transmitter with the final key."""
    frames = 2
    keys = _keys("gcm", seed)
    got, want, info = run_tx_amsim(frames=frames, seed=seed, keys=keys, decoy_key=True)
    st = info["status"]
    assert st["ks_underrun"] == 0 and st["j0_missing"] == 0, st
    assert np.array_equal(got, want), describe_mismatch(got, want)
    check_with_aesgcm(got, keys, FC_INIT, frames)
