"""cocotb helpers shared by the 10GBASE-R PCS testbenches: one per-cycle loop drives a stream source and a stream
sink with idle / backpressure patterns (AXI rule: valid and data held until ready), and reads the handshake at each
rising edge, where signals still carry the values of the cycle that just ended (as cocotbext-axi does)."""

from cocotb.triggers import RisingEdge

from din.sim.common.stall import stall_pattern

__all__ = ["StreamLoop"]


class StreamLoop:
    """Drive ``items`` (ints, the flat ``tdata``) into ``<src>_t*`` and collect ``<dst>_tdata`` from the output."""

    def __init__(self, dut, *, src, dst, pattern_in="none", pattern_out="none", rng=None):
        self.dut, self.clk = dut, dut.clk
        self.s_data, self.s_valid, self.s_ready = (getattr(dut, f"{src}_t{n}") for n in ("data", "valid", "ready"))
        self.m_data, self.m_valid, self.m_ready = (getattr(dut, f"{dst}_t{n}") for n in ("data", "valid", "ready"))
        seeds = (rng.randrange(1 << 30), rng.randrange(1 << 30)) if rng is not None else (0, 1)
        self.stall_in = stall_pattern(pattern_in, seed=seeds[0])
        self.stall_out = stall_pattern(pattern_out, seed=seeds[1])
        self.got, self.in_cycles, self.out_cycles = [], [], []
        self.cycle = 0
        self._held = False
        self._ready = False
        self.s_valid.value = 0
        self.m_ready.value = 0

    def idle(self):
        """Drop valid / ready (e.g. before a reset); an item not yet taken is sent again by the next run."""
        self.s_valid.value = 0
        self.m_ready.value = 0
        self._held = False
        self._ready = False

    async def run(self, items, n_out, *, max_cycles=200_000, stop=None):
        """Send every item of ``items`` and return once ``n_out`` more items arrived (or ``stop()`` is true)."""
        idx, target = 0, len(self.got) + n_out
        limit = self.cycle + max_cycles
        while len(self.got) < target and not (stop and stop()):
            # decide this cycle's source and sink values (the source holds an offered item until it is taken)
            if not self._held:
                if idx < len(items) and not next(self.stall_in):
                    self.s_data.value = items[idx]
                    self.s_valid.value = 1
                    self._held = True
                else:
                    self.s_valid.value = 0
            self._ready = not next(self.stall_out)
            self.m_ready.value = int(self._ready)
            await RisingEdge(self.clk)
            self.cycle += 1
            assert self.cycle < limit, f"timeout: {len(self.got)} of {target} items after {max_cycles} cycles"
            if self._held and int(self.s_ready.value):
                idx += 1
                self._held = False
                self.in_cycles.append(self.cycle)
            if self._ready and int(self.m_valid.value):
                value = self.m_data.value
                assert value.is_resolvable, f"X/Z on {self.m_data._name} while valid at cycle {self.cycle}"
                self.got.append(int(value))
                self.out_cycles.append(self.cycle)
        self.s_valid.value = 0 if not self._held else 1
        return idx
