"""AXI4-Lite register block generated from a :class:`~din.rtl.common.regdecl.RegisterMap`.

Bus behaviour (AMBA AXI and ACE Protocol Specification, ARM IHI 0022, part B "AXI4-Lite"):

* **Writes.** AW and W are accepted independently, each into its own holding register (``awready`` / ``wready`` are
  high while that register is empty; neither waits for the other channel, A3.3.1 "Dependencies between channel
  handshake signals"). When both are held and the B channel is free (``~bvalid | bready``) the write is performed
  and ``bvalid`` rises in the next cycle. Byte lanes follow ``wstrb`` for RW, WO and W1C; a COUNTER is cleared by
  any write. BRESP is OKAY, or SLVERR for an unmapped word and for writes to RO, ID and VERSION (which change
  nothing). One write completes every two cycles at best.
* **Reads.** One outstanding read: ``arready`` is low from the AR handshake until the R handshake. The word
  address is decoded at the AR handshake into a registered one-hot select and ``rdata`` (an AND-OR tree of the
  readable words) is registered one cycle later (an RO input is sampled in the cycle after
  the handshake); ``rvalid`` rises two cycles after the handshake, one read every three cycles at best. RRESP is
  OKAY, or SLVERR (data 0) for an unmapped word. WO registers read 0 with OKAY: their storage is not connected to the
  read multiplexer at all (spec/README.md "Registers").
* **Handshakes.** No valid depends on a ready, and no ready depends on the same channel's valid, so no ordering of
  valid and ready on the five channels can hang the block. ``bvalid`` / ``rvalid`` and their payloads stay stable
  until the manager takes them (A3.2.1). ``awprot`` / ``arprot`` are ignored. Address bits 1:0 are ignored (a
  subordinate with 32-bit data sees whole words; ``wstrb`` selects the bytes); the window is decoded in full, so
  nothing aliases.

Hardware ports (one set per register, named after the register in lower case):

=========  ==========================================  =====================================================
kind       ports                                       meaning
=========  ==========================================  =====================================================
RO         ``<name>``: In                              value software reads
RW, WO     ``<name>``: Out, ``<name>_wstb``: Out(1)    stored value; ``_wstb`` is high for one cycle, the
                                                       first cycle the written value is on ``<name>``, after
                                                       every write to any word of the register
W1C        ``<name>_set``: In, ``<name>``: Out         a 1 on ``_set`` sets the bit next cycle; set wins
                                                       over a clear in the same cycle
COUNTER    ``<name>_inc``: In(inc_width), ``<name>``   adds ``_inc`` every cycle; a write clears the count
                                                       and the same cycle's ``_inc`` is still counted
=========  ==========================================  =====================================================

When a register declares fields, the shape of ``<name>`` (and of ``<name>_set``) is a ``data.FlexibleLayout`` with
those fields, so Amaranth users write ``regs.ctrl.enable``; the exported Verilog port is the flat register.

:class:`ExampleRegisters` is the exportable top ``din_axil_regs``: the :data:`EXAMPLE_REGMAP` (every kind) with its
ports on the top. Its 256-bit write-only ``KEY`` is not brought out whole: with it the top would have about 590 port
bits, more than the 365 I/O sites of the ECP5 for anyone placing the exported Verilog directly (``din build`` adds its
own I/O wrapper either way). Instead ``key_sel`` (3 bits) selects which 32-bit word of the key appears on
``key_word``. A word multiplexer rather than an XOR reduction keeps every key bit observable at its own position, so
the testbench proves each word landed where it belongs; the bus still has no read path to the key. Measured with
``din build axil_regs --seeds 1``: 857 LUT4, 492 FF, 185 MHz against the 156.25 MHz target.
"""

import operator

from amaranth import Cat, Const, Module, Mux, Signal, Value, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from .axil import AXI4LiteSignature, RESP_OKAY, RESP_SLVERR
from .regdecl import COUNTER, CONST, RO, RW, W1C, WO, Field, Register, RegisterMap
from .tree import balanced_reduce

__all__ = ["AXI4LiteRegisters", "ExampleRegisters", "EXAMPLE_REGMAP", "register_shape"]

DATA_WIDTH = 32     # spec/README.md "Registers": AXI4-Lite, 32-bit data


def register_shape(reg):
    """Shape of a register's port: ``unsigned(width)``, or a ``FlexibleLayout`` of its fields."""
    if not reg.fields:
        return unsigned(reg.width)
    return data.FlexibleLayout(reg.width, {f.name.lower(): data.Field(unsigned(f.width), f.lsb) for f in reg.fields})


def _word(value, index, width):
    """Bits of word ``index`` of a ``width``-bit value (the last word may be narrower than 32)."""
    return value[DATA_WIDTH * index:min(DATA_WIDTH * (index + 1), width)]


class AXI4LiteRegisters(wiring.Component):
    """The register logic of ``regmap`` behind an AXI4-Lite subordinate port ``s_axil``."""

    def __init__(self, regmap):
        if not isinstance(regmap, RegisterMap):
            self._MustUse__silence = True          # a rejected component is not an unused one
            raise TypeError(f"regmap must be a RegisterMap, not {regmap!r}")
        self.regmap = regmap
        self.params = {"regmap": regmap.name, "ident": regmap.ident, "version": regmap.version,
                       "addr_width": regmap.addr_width}
        members = {"s_axil": In(AXI4LiteSignature(addr_width=regmap.addr_width, data_width=DATA_WIDTH))}
        for reg in regmap.registers:
            shape, name = register_shape(reg), reg.port_name
            if reg.kind is RO:
                members[name] = In(shape)
            elif reg.kind in (RW, WO):
                members[name] = Out(shape)
                members[f"{name}_wstb"] = Out(1)
            elif reg.kind is W1C:
                members[f"{name}_set"] = In(shape)
                members[name] = Out(shape)
            elif reg.kind is COUNTER:
                members[f"{name}_inc"] = In(reg.inc_width)
                members[name] = Out(shape)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        storage = {reg.name: Signal(reg.width, init=reg.reset_value, name=f"{reg.port_name}_q")
                   for reg in self.regmap.registers if reg.kind not in (RO, CONST)}
        word_we = {reg.name: Signal(reg.words, name=f"{reg.port_name}_we") for reg in self.regmap.registers}
        wdata, bytemask = self._write_channel(m, word_we)
        for reg in self.regmap.registers:
            self._register(m, reg, storage.get(reg.name), word_we[reg.name], wdata, bytemask)
        self._read_channel(m, storage)
        return m

    def _write_channel(self, m, word_we):
        """AW and W holding registers, the B response and the per-word write enables (comb, one cycle)."""
        bus = self.s_axil
        aw_full, w_full = Signal(), Signal()
        aw_word = Signal(self.regmap.addr_width - 2)
        wdata, wstrb = Signal(DATA_WIDTH), Signal(DATA_WIDTH // 8)
        m.d.comb += [bus.awready.eq(~aw_full), bus.wready.eq(~w_full)]
        with m.If(bus.awvalid & bus.awready):
            m.d.sync += [aw_full.eq(1), aw_word.eq(bus.awaddr[2:])]
        with m.If(bus.wvalid & bus.wready):
            m.d.sync += [w_full.eq(1), wdata.eq(bus.wdata), wstrb.eq(bus.wstrb)]
        with m.If(bus.bvalid & bus.bready):
            m.d.sync += bus.bvalid.eq(0)

        write_ok = Signal()
        with m.If(aw_full & w_full & (~bus.bvalid | bus.bready)):
            m.d.sync += [aw_full.eq(0), w_full.eq(0), bus.bvalid.eq(1),
                         bus.bresp.eq(Mux(write_ok, RESP_OKAY, RESP_SLVERR))]
            with m.Switch(aw_word):
                for addr, reg, index in self.regmap.words():
                    if reg.kind.software_writable:
                        with m.Case(addr >> 2):
                            m.d.comb += [write_ok.eq(1), word_we[reg.name][index].eq(1)]
        bytemask = Cat(bit.replicate(8) for bit in wstrb)
        return wdata, bytemask

    def _register(self, m, reg, q, we, wdata, bytemask):
        """Storage and hardware port of one register."""
        port = Value.cast(getattr(self, reg.port_name))
        if reg.kind in (RW, WO):
            for index in range(reg.words):
                old, mask = _word(q, index, reg.width), bytemask[:len(_word(q, index, reg.width))]
                with m.If(we[index]):
                    m.d.sync += old.eq((old & ~mask) | (wdata[:len(old)] & mask))
            m.d.sync += getattr(self, f"{reg.port_name}_wstb").eq(we.any())
            m.d.comb += port.eq(q)
        elif reg.kind is W1C:
            clear = Mux(we[0], wdata & bytemask, 0)[:reg.width]
            set_ = Value.cast(getattr(self, f"{reg.port_name}_set"))
            m.d.sync += q.eq((q & ~clear) | set_)                       # set wins over a simultaneous clear
            m.d.comb += port.eq(q)
        elif reg.kind is COUNTER:
            inc = getattr(self, f"{reg.port_name}_inc")
            total = Mux(we[0], 0, q) + inc                              # the clearing cycle's events still count
            top = (1 << reg.width) - 1
            m.d.sync += q.eq(Mux(total > top, top, total) if reg.saturate else total[:reg.width])
            m.d.comb += port.eq(q)

    def _read_channel(self, m, storage):
        """One outstanding read in two steps: the word address is decoded at the AR handshake into a registered
        one-hot word select, and in the next cycle ``rdata`` is the OR of every readable word masked by its select
        bit (an AND-OR tree: about log4 of the word count in LUT levels, where a ``Switch`` on the address becomes a
        priority chain as long as the map; issue 6: the read path of a map with dozens of words was the longest path
        of the whole PHY's ``sync`` domain). WO storage is never an input of this multiplexer."""
        bus = self.s_axil
        pend = Signal()
        words = list(self.regmap.words())
        hit = Signal(len(words))                            # one-hot (or zero: unmapped -> SLVERR)
        m.d.comb += bus.arready.eq(~bus.rvalid & ~pend)
        with m.If(bus.rvalid & bus.rready):
            m.d.sync += bus.rvalid.eq(0)
        with m.If(bus.arvalid & bus.arready):
            m.d.sync += [pend.eq(1), hit.eq(Cat(bus.araddr[2:] == addr >> 2 for addr, _reg, _index in words))]
        terms = []
        for k, (_addr, reg, index) in enumerate(words):
            if reg.kind is CONST:
                value = _word(Const(reg.reset_value, reg.width), index, reg.width)
            elif reg.kind is RO:
                value = _word(Value.cast(getattr(self, reg.port_name)), index, reg.width)
            elif reg.kind.readable:
                value = _word(storage[reg.name], index, reg.width)
            else:
                continue                                    # WO: reads 0 (no read path)
            terms.append(Mux(hit[k], value, 0))
        rdata = Signal(DATA_WIDTH)
        m.d.comb += rdata.eq(_or_tree(terms))
        with m.If(pend):
            m.d.sync += [pend.eq(0), bus.rvalid.eq(1), bus.rdata.eq(rdata),
                         bus.rresp.eq(Mux(hit.any(), RESP_OKAY, RESP_SLVERR))]


def _or_tree(terms):
    """The OR of ``terms`` as a balanced tree (0 when there are none)."""
    return balanced_reduce(terms, operator.or_) if terms else Const(0, DATA_WIDTH)


#: The example map behind ``din_axil_regs``: every kind, a fielded RW, a multi-word RW, a 256-bit WO key.
EXAMPLE_REGMAP = RegisterMap("example", "DINX", 0x0001_0000, [
    Register("CTRL", 0x08, RW, width=16, doc="block control", fields=[
        Field("ENABLE", 0, 1, reset=1, doc="enable the block"),
        Field("MODE", 1, 2, reset=2, doc="operating mode"),
        Field("THRESHOLD", 8, 8, reset=0x40, doc="an 8-bit threshold"),
    ]),
    Register("SCRATCH", 0x0C, RW, reset=0x5A5A_0FF0, doc="scratch register for bus tests"),
    Register("STATUS", 0x10, W1C, width=16, doc="sticky event flags: write 1 to clear", fields=[
        Field("RX_ERR", 0, 1, doc="receive error seen"),
        Field("TX_ERR", 1, 1, doc="transmit error seen"),
        Field("EVENTS", 8, 8, doc="eight more event flags"),
    ]),
    Register("FRAMES", 0x14, COUNTER, doc="frames seen"),
    Register("DROPS", 0x18, COUNTER, width=4, inc_width=2, doc="frames dropped, 0..3 per cycle"),
    Register("TEMP", 0x1C, RO, width=16, doc="a value driven by hardware"),
    Register("MAC", 0x20, RW, width=48, reset=0x0200_0000_0001, doc="a 48-bit address over two words"),
    Register("KEY", 0x30, WO, width=256, doc="secret key; no read path exists in the hardware"),
], doc="Example register map of `din_axil_regs`: one register of every kind.")


class ExampleRegisters(wiring.Component):
    """Exportable top of :data:`EXAMPLE_REGMAP`; the key leaves through ``key_sel`` / ``key_word`` (see module)."""

    def __init__(self):
        self.params = {}
        self._regs = AXI4LiteRegisters(EXAMPLE_REGMAP)
        key_words = EXAMPLE_REGMAP["KEY"].words
        members = {name: member for name, member in self._regs.signature.members.items() if name != "key"}
        members["key_sel"] = In(range(key_words))
        members["key_word"] = Out(DATA_WIDTH)
        super().__init__(members)

    def elaborate(self, platform):
        m = Module()
        m.submodules.regs = regs = self._regs
        wiring.connect(m, wiring.flipped(self.s_axil), regs.s_axil)
        for name, member in regs.signature.members.items():
            if name in ("s_axil", "key"):
                continue
            if member.flow == wiring.In:
                m.d.comb += getattr(regs, name).eq(getattr(self, name))
            else:
                m.d.comb += getattr(self, name).eq(getattr(regs, name))
        m.d.comb += self.key_word.eq(regs.key.word_select(self.key_sel, DATA_WIDTH))
        return m
