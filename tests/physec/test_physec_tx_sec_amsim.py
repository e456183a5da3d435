"""PHYSec TX with the security engine (issue 7) in the Amaranth simulator: line words against the golden
transmitter (MODE 10 GCM and MODE 01 GMAC), and every frame's payload and tag checked by ``cryptography``'s AESGCM,
which knows nothing of the golden model or the RTL."""

import numpy as np
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from din.golden.physec.frame import AAD_OCTETS, line_to_body
from din.golden.physec.prbs import FRAME_MASK_OCTETS
from din.golden.physec.security import KeyConfig, KeySlot, make_iv

from din.sim.physec.tx_amsim import describe_mismatch, run_tx_amsim

FC_INIT = 0x1122334455667700


def _keys(mode, seed):
    rng = np.random.default_rng(seed)
    slot = KeySlot(an=2, key=rng.bytes(32), salt=rng.bytes(12), ssci=int(rng.integers(0, 1 << 32)))
    return KeyConfig(mode=mode, fc_init=FC_INIT, slots=[slot])


def frame_bodies(words):
    """The RTL's line words → per frame the descrambled body octets (O0 first)."""
    out = []
    for n in range(len(words) // 4112):
        fb = words[4112 * n:4112 * (n + 1)].astype("<u8").tobytes()
        _, body = line_to_body(np.frombuffer(fb, dtype=np.uint8))
        out.append(np.asarray(body, dtype=np.uint8) ^ FRAME_MASK_OCTETS)
    return out


def check_with_aesgcm(words, keys, frames):
    """Frame n's payload (C(n) or P(n)) with its AAD and the TAG carried by frame n+1 authenticates under AESGCM."""
    slot = keys.slots[0]
    bodies = frame_bodies(words)
    aead = AESGCM(slot.key)
    for n in range(frames - 1):
        body, nxt = bodies[n], bodies[n + 1]
        aad, payload, tag = bytes(body[:AAD_OCTETS]), bytes(body[242:]), bytes(nxt[14:30])
        assert len(payload) == 32639
        iv = make_iv(slot, FC_INIT + n)
        if keys.mode == "gcm":
            aead.decrypt(iv, payload + tag, aad)          # raises InvalidTag on any difference
        else:
            assert aead.decrypt(iv, tag, aad + payload) == b""


@pytest.mark.parametrize("mode", ["gcm", "gmac"])
def test_physec_tx_security_vs_golden_amsim(mode, seed):
    """Three frames: line words equal the golden transmitter's; AESGCM verifies frames 0 and 1 (tags in 1 and 2)."""
    frames = 3
    keys = _keys(mode, seed)
    got, want, info = run_tx_amsim(frames=frames, seed=seed, keys=keys)
    st = info["status"]
    assert st["tag_late"] == 0 and st["ks_underrun"] == 0 and st["j0_missing"] == 0 and st["cfg_err"] == 0, st
    assert np.array_equal(got, want), describe_mismatch(got, want)
    check_with_aesgcm(got, keys, frames)
