"""Golden PHYSec: CRC and PRBS31 check values (physec.md §4, §6), GMP slots, JC and the Cm controller (§5)."""

import random
import zlib
from fractions import Fraction

import numpy as np
import pytest

from din.golden.physec.crc import CHECK_INPUT, CRC8_JC, CRC16_OH, CRC32_ETH
from din.golden.physec.gmp import (CM_NOMINAL, FRAME_BITS, SLOTS, ClientClock, CmController, jc_decode, jc_encode,
                                   slot_mask)
from din.golden.physec.prbs import FRAME_MASK, prbs31, prbs31_check_value, prbs31_serial


def test_crc_check_values_of_the_spec():
    assert CRC8_JC(CHECK_INPUT) == 0x01                   # physec.md §4
    assert CRC16_OH(CHECK_INPUT) == 0x29B1                # physec.md §4
    assert CRC32_ETH(CHECK_INPUT) == 0xCBF43926 == zlib.crc32(CHECK_INPUT)


def test_crc_tables_equal_bit_serial_and_zlib():
    rng = random.Random(11)
    for _ in range(50):
        msg = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 40)))
        for crc in (CRC8_JC, CRC16_OH, CRC32_ETH):
            assert crc(msg) == crc.bitwise(msg)
        assert CRC32_ETH(msg) == zlib.crc32(msg)


def test_prbs31_check_value_and_recurrence():
    assert prbs31_check_value() == 0x0000000E000000FC      # physec.md §6
    assert np.array_equal(prbs31(3000), np.array(prbs31_serial(3000), dtype=np.uint8))
    m = FRAME_MASK.astype(np.int64)
    assert len(m) == FRAME_BITS - 120
    assert not np.any(m[31:] ^ m[:-31] ^ m[3:-28])          # o[n] = o[n-31] XOR o[n-28] all the way
    assert abs(m.mean() - 0.5) < 0.01


def test_gmp_slot_count_is_cm():
    j = np.arange(1, SLOTS + 1)
    for cm in range(0, SLOTS + 1):
        mask = slot_mask(cm)
        assert mask.sum() == cm
        assert np.array_equal(mask, (j * cm) % SLOTS < cm)
    # data slots are spread evenly: between two data slots at most ceil(1016 / Cm) − 1 stuff slots
    gaps = np.diff(np.flatnonzero(slot_mask(996)))
    assert gaps.max() <= 2


def test_jc_encoding_and_crc_errors():
    assert jc_encode(997) == bytes([997 >> 6, (997 & 0x3F) << 2, CRC8_JC(bytes([997 >> 6, (997 & 0x3F) << 2]))])
    for cm in [0, 980, 996, 997, 998, 1016]:
        assert jc_decode(jc_encode(cm)) == cm
    for cm in [1, 500, 979, 1017, 16383]:
        assert jc_decode(jc_encode(cm)) is None                  # not an accepted value
    jc = jc_encode(997)
    for bit in range(24):                                       # every single-bit error is caught
        bad = bytearray(jc)
        bad[bit // 8] ^= 0x80 >> (bit % 8)
        assert jc_decode(bytes(bad)) is None


@pytest.mark.parametrize("ppm", [0, 100, -100, 37.5])
def test_cm_controller_long_run_zero_overhead(ppm):
    """Controller alone over 6 000 frames (0.15 s of line time): Cm in 996..998 after start-up, no underflow,
    a bounded FIFO, and client blocks in = blocks carried."""
    c = CmController(clock=ClientClock(ppm=Fraction(ppm)))
    cms = [c.frame()[0] for _ in range(6_000)]
    assert cms[0] == 0 and cms[1] == 1016
    settled = cms[60:]
    assert set(settled) <= {996, 997, 998}
    assert c.underflow == 0
    arrived = c.clock.entered_by(FRAME_BITS * c.n)
    level = arrived - c.taken
    assert 0 <= level <= 20
    rate_in = arrived / c.n
    rate_out = c.taken / c.n
    nominal = float(CM_NOMINAL * (1 + Fraction(ppm) / 10**6))
    print(f"ppm {ppm}: client blocks per frame in {rate_in:.6f}, out {rate_out:.6f}, nominal {nominal:.6f}")
    assert abs(rate_in - rate_out) <= 20 / c.n                   # the difference is the bounded FIFO level
    assert abs(rate_in - nominal) < 1e-3 and abs(sum(settled[-5_000:]) / 5_000 - nominal) < 2e-3
