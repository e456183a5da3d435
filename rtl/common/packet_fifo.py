"""Store-and-forward packet FIFOs: one clock domain (:class:`PacketFIFO`) and across two (:class:`AsyncPacketFIFO`).

Forencich's ``axis_fifo`` with ``FRAME_FIFO=1`` in Amaranth, on ``amaranth.lib.memory.Memory`` (one write port, one
synchronous read port). The behaviour every user relies on:

* ``m_axis`` presents only complete, committed frames, one beat per cycle; once the first beat of a frame is valid,
  ``valid`` stays high until its ``last`` beat (no gap inside a frame; the sink may still stall it).
* The write pointer is committed at ``last``. A frame is dropped (its beats rolled back, nothing of it reaches
  ``m_axis``) when

  - its ``last`` beat carries ``user[0]`` = 1 (``USER_BAD_FRAME``) and ``drop_bad_frame`` is set → ``drop_bad``;
  - it is longer than ``depth`` beats, so it could never fit → ``drop_oversize`` (the rest of it is discarded up to
    its ``last``; without this the FIFO would deadlock);
  - with ``drop_when_full``: a beat arrives while the memory is full of other frames → ``drop_full`` (the rest of it
    is discarded up to its ``last``; ``s_axis.ready`` is then always high). Without ``drop_when_full`` the FIFO
    holds ``s_axis.ready`` low until the sink has drained enough space. A frame that meets a full FIFO whose space
    is all its own (it already has ``depth`` beats) is oversize, not full.

  The drop outputs are one-cycle pulses (one per dropped frame, the cycle after the deciding beat), for counters.
  Precedence: the first event in beat order decides (full / oversize while the frame streams in, bad at ``last``).
* Capacity is exactly ``depth`` beats: a beat's slot is freed when it is delivered on ``m_axis`` (not when it is
  read into the two output pipeline registers), so the space a frame sees does not depend on the sink's timing.
  ``level``: beats accepted on ``s_axis`` and not yet delivered on ``m_axis`` (the frame being written included,
  beats of dropped frames excluded), 0 to ``depth``. ``frames``: complete frames not yet fully delivered.
* Latency: the first beat of a frame leaves three cycles after its ``last`` beat went in (commit, memory read,
  output register).
* Timing: ``s_axis.ready`` is a function of registers only (no combinational path from ``s_axis.valid`` or
  ``m_axis.ready``); the full flag is computed from the next write pointer and the *current* free pointer, so a slot
  freed by a delivery becomes writable one cycle later (conservative, never overfills). The memory read and the
  output are registered; ``level`` and ``frames`` are functions of registers only.
  Implementation: occupancy is kept as registered counts against the free pointer of the cycle before (``used_q``,
  ``used_q + 1``, ``kept_q``), so "full" is the top bit of a count, not a comparison; every next-state candidate
  (next write pointer wr_ptr / wr_ptr + 1 / wr_commit, next counts) is computed from registers in parallel with the
  accept decision, which only selects among them (no adder or comparator after the decision).
* Synchronous reset clears everything: stored frames are lost, and a frame in flight on ``s_axis`` is cut: the FIFO
  takes the next beat after reset as the first beat of a new frame, so the upstream must restart at a frame
  boundary (an AXI-Stream source in the same reset does). A frame partly delivered on ``m_axis`` is cut too.

:class:`AsyncPacketFIFO` puts an ``amaranth.lib.fifo.AsyncFIFO`` of beats (``s`` → ``m``, ``cdc_depth`` deep) in
front of a :class:`PacketFIFO` that runs in the read domain ``m``; its reset rules are in its docstring.
"""

from amaranth import Module, Mux, ResetSignal, Signal, unsigned
from amaranth.hdl import DomainRenamer
from amaranth.lib import fifo as lib_fifo
from amaranth.lib import stream, wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for, exact_log2

from .layouts import USER_BAD_FRAME, BeatLayout, validate_width

__all__ = ["PacketFIFO", "AsyncPacketFIFO"]


def _validate(data_width, user_width, dest_width, depth, drop_bad_frame, drop_when_full):
    validate_width("depth", depth, minimum=2, power_of_2=True)
    for name, value in (("drop_bad_frame", drop_bad_frame), ("drop_when_full", drop_when_full)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool, not {value!r}")
    return BeatLayout(data_width=data_width, user_width=user_width, dest_width=dest_width)


def _status_members(depth):
    return {
        "drop_bad": Out(1),
        "drop_oversize": Out(1),
        "drop_full": Out(1),
        "level": Out(unsigned(bits_for(depth))),
        "frames": Out(unsigned(bits_for(depth))),
    }


class PacketFIFO(wiring.Component):
    """Store-and-forward packet FIFO in the ``sync`` domain (see the module docstring for the full behaviour).

    Parameters (keyword-only): ``data_width``, ``user_width``, ``dest_width`` (the beat layout), ``depth`` (beats,
    a power of 2), ``drop_bad_frame``, ``drop_when_full``. Exported as ``din_packet_fifo``.

    ``abort`` (not a port: an internal signal a parent may drive, 0 otherwise) discards the frame being written,
    keeps the committed ones, and holds ``s_axis.ready`` low for that cycle; :class:`AsyncPacketFIFO` drives it when
    the write domain is reset.
    """

    def __init__(self, *, data_width=64, user_width=1, dest_width=0, depth=512, drop_bad_frame=True,
                 drop_when_full=False):
        layout = _validate(data_width, user_width, dest_width, depth, drop_bad_frame, drop_when_full)
        self.params = {"data_width": data_width, "user_width": user_width, "dest_width": dest_width,
                       "depth": depth, "drop_bad_frame": drop_bad_frame, "drop_when_full": drop_when_full}
        self.layout = layout
        self.depth = depth
        self.abort = Signal()
        super().__init__({
            "s_axis": In(stream.Signature(layout)),
            "m_axis": Out(stream.Signature(layout)),
            **_status_members(depth),
        })

    def elaborate(self, platform):
        m = Module()
        depth, abits = self.depth, exact_log2(self.depth)
        drop_bad_frame = self.params["drop_bad_frame"] and self.layout.user_width > 0
        m.submodules.mem = mem = Memory(shape=self.layout, depth=depth, init=[])
        wp = mem.write_port()
        rp = mem.read_port(transparent_for=())

        # Pointers carry one extra bit, so that wr_commit == rd_ptr means empty, not full.
        wr_ptr = Signal(abits + 1)        # next beat of the frame being written
        wr_commit = Signal(abits + 1)     # end of the last complete frame
        rd_ptr = Signal(abits + 1)        # next beat to read into the output pipeline
        s, o = self.s_axis, self.m_axis
        # Occupancy is counted against the free pointer (the next beat to leave on m_axis: space is freed only by
        # delivery) as it was one cycle before, which is what the full flag is defined on. Registers:
        delivered_q = Signal()            # a beat was delivered on m_axis in the cycle before
        used_q = Signal(abits + 1)        # wr_ptr - free_ptr (one cycle old), 0..depth; full: used_q == depth
        used_q_p1 = Signal(abits + 1, init=1)   # always used_q + 1
        kept_q = Signal(abits + 1)        # wr_commit - free_ptr (one cycle old): beats of complete frames, 0..used_q
        frame_full = Signal()             # wr_ptr - wr_commit == depth: the frame alone fills the memory
        discard = Signal()                # dropping the rest of a frame up to its last beat
        # 0 <= kept_q <= used_q <= depth, so "== depth" is the top bit of a count: the full flag needs no comparator.
        full = used_q[abits]
        # the same counts against the current free pointer (candidates for the next cycle, from registers only)
        used = Signal.like(used_q)        # wr_ptr - free_ptr: the level output
        used_p1, used_p2 = Signal.like(used_q), Signal.like(used_q)
        kept, kept_p1 = Signal.like(kept_q), Signal.like(kept_q)
        dq = delivered_q
        m.d.comb += [used.eq(Mux(dq, used_q - 1, used_q)), used_p1.eq(Mux(dq, used_q, used_q_p1)),
                     used_p2.eq(Mux(dq, used_q_p1, used_q_p1 + 1)),
                     kept.eq(Mux(dq, kept_q - 1, kept_q)), kept_p1.eq(Mux(dq, kept_q, kept_q + 1))]

        # ---- write side -------------------------------------------------------------------------------------
        # The accept decision only selects among values computed from registers in parallel with it: the next
        # write pointer is wr_ptr, wr_ptr + 1 or wr_commit, and the next used_q is used, used + 1 or kept.
        dwf = self.params["drop_when_full"]
        m.d.comb += s.ready.eq(~self.abort & (discard | ~full | frame_full | dwf))
        live = s.valid & ~self.abort                  # a beat is offered and may be taken (ready is low in abort)
        bad = s.payload.user[USER_BAD_FRAME] if drop_bad_frame else 0
        write = Signal()                              # beat stored in the memory
        drop_in = Signal()                            # beat accepted only to drop its frame: oversize or full
        rollback = Signal()                           # the frame being written is discarded
        advance = Signal()                            # the beat is kept: wr_ptr and used move on by one
        commit = Signal()                             # a good last beat: the frame is complete
        m.d.comb += [
            write.eq(live & ~discard & ~full),
            drop_in.eq(live & ~discard & full & (frame_full | dwf)),
            rollback.eq(self.abort | drop_in | (write & s.payload.last & bad)),
            advance.eq(write & ~(s.payload.last & bad)),
            commit.eq(write & s.payload.last & ~bad),
            wp.en.eq(write), wp.addr.eq(wr_ptr[:abits]), wp.data.eq(s.payload),
        ]
        # frame_full after a kept beat: wr_ptr + 1 - wr_commit == depth <=> used + 1 == depth and kept == 0. A beat
        # is written only when used_q < depth (full low), so used + 1 == depth needs used_q == depth - 1 and no
        # delivery the cycle before: then used + 1 == used_q_p1 and kept == kept_q.
        frame_fills = used_q_p1[abits] & (kept_q == 0)
        with m.If(rollback):
            m.d.sync += [wr_ptr.eq(wr_commit), used_q.eq(kept), used_q_p1.eq(kept_p1), frame_full.eq(0)]
        with m.Elif(advance):
            m.d.sync += [wr_ptr.eq(wr_ptr + 1), used_q.eq(used_p1), used_q_p1.eq(used_p2),
                         frame_full.eq(frame_fills & ~s.payload.last)]
        with m.Else():
            m.d.sync += [used_q.eq(used), used_q_p1.eq(used_p1)]
        with m.If(commit):
            m.d.sync += [wr_commit.eq(wr_ptr + 1), kept_q.eq(used_p1)]
        with m.Else():
            m.d.sync += kept_q.eq(kept)
        with m.If(self.abort):
            m.d.sync += discard.eq(0)
        with m.Elif((live & discard) | drop_in):
            m.d.sync += discard.eq(~s.payload.last)
        m.d.sync += [self.drop_bad.eq(write & s.payload.last & bad),
                     self.drop_oversize.eq(drop_in & frame_full), self.drop_full.eq(drop_in & ~frame_full)]

        # ---- read side: memory read register (stage 1) then output register (m_axis) --------------------------
        valid1 = Signal()
        out_free = ~o.valid | o.ready
        stage1_free = ~valid1 | out_free
        do_read = (rd_ptr != wr_commit) & stage1_free
        m.d.comb += [rp.addr.eq(rd_ptr[:abits]), rp.en.eq(stage1_free)]
        with m.If(do_read):
            m.d.sync += rd_ptr.eq(rd_ptr + 1)
        m.d.sync += valid1.eq(do_read | (valid1 & ~out_free))
        with m.If(out_free):
            m.d.sync += [o.valid.eq(valid1), o.payload.eq(rp.data)]

        # ---- status -----------------------------------------------------------------------------------------
        # frames = frames_q + committed_q - finished_q: the events of the cycle before are registered, so the
        # counter's adder sees registers only and the output still counts a frame from the cycle after its commit.
        frames_q = Signal.like(self.frames)
        committed_q = Signal()
        finished_q = Signal()
        m.d.sync += [delivered_q.eq(o.valid & o.ready), committed_q.eq(commit),
                     finished_q.eq(o.valid & o.ready & o.payload.last), frames_q.eq(self.frames)]
        m.d.comb += [self.frames.eq(Mux(committed_q, Mux(finished_q, frames_q, frames_q + 1),
                                        Mux(finished_q, frames_q - 1, frames_q))),
                     self.level.eq(used)]
        return m


class AsyncPacketFIFO(wiring.Component):
    """Packet FIFO from write domain ``s`` to read domain ``m``: exported ports ``s_clk/s_rst/m_clk/m_rst``.

    Construction: ``s_axis`` → ``AsyncFIFO`` of beats (``cdc_depth`` deep, a power of 2, Gray-code pointers) →
    a gate and a one-beat register in ``m`` → :class:`PacketFIFO` (``depth``) in ``m`` → ``m_axis``. The register
    (one ``m`` cycle of latency, no loss of throughput) keeps the CDC FIFO's read-side pointer comparison out of the
    packet FIFO's accept logic. The output is store-and-forward in the
    read domain, so it never stalls inside a frame, and bad / oversize / full drops happen there: the ``drop_*``
    pulses, ``level`` and ``frames`` are in the ``m`` domain. ``level`` does not count the beats in the CDC FIFO.
    Throughput is one beat per cycle of the slower clock.

    Resets (both synchronous, active high, each in its own domain):

    * ``s_rst`` empties the CDC FIFO (``AsyncFIFO`` resets from its write domain, and tells the read domain through
      ``r_rst``). In ``m`` the frame being written into the packet FIFO is then discarded (with a beat of it
      held in the register), while frames already complete in the packet FIFO are still delivered. The first beat
      written after ``s_rst`` starts a new frame.
    * ``m_rst`` resets the packet FIFO (stored frames lost, a frame on ``m_axis`` cut). ``AsyncFIFO`` keeps its data
      over a read-domain reset, so beats reaching the read side during ``m_rst`` are discarded, and if that leaves the
      read side inside a frame, the rest of that frame is discarded up to its ``last`` (a reset-less ``in_frame``
      flag remembers where frame boundaries are): no truncated frame is ever delivered.
    """

    def __init__(self, *, data_width=64, user_width=1, dest_width=0, depth=512, cdc_depth=16, drop_bad_frame=True,
                 drop_when_full=False):
        layout = _validate(data_width, user_width, dest_width, depth, drop_bad_frame, drop_when_full)
        validate_width("cdc_depth", cdc_depth, minimum=2, power_of_2=True)
        self.params = {"data_width": data_width, "user_width": user_width, "dest_width": dest_width,
                       "depth": depth, "cdc_depth": cdc_depth, "drop_bad_frame": drop_bad_frame,
                       "drop_when_full": drop_when_full}
        self.layout = layout
        super().__init__({
            "s_axis": In(stream.Signature(layout)),
            "m_axis": Out(stream.Signature(layout)),
            **_status_members(depth),
        })

    def elaborate(self, platform):
        m = Module()
        p = self.params
        m.submodules.cdc = cdc = lib_fifo.AsyncFIFO(width=self.layout.size, depth=p["cdc_depth"],
                                                    w_domain="s", r_domain="m")
        core = PacketFIFO(**{k: v for k, v in p.items() if k != "cdc_depth"})
        m.submodules.core = DomainRenamer("m")(core)

        m.d.comb += [cdc.w_data.eq(self.s_axis.payload), cdc.w_en.eq(self.s_axis.valid),
                     self.s_axis.ready.eq(cdc.w_rdy)]

        # Gate in the read domain: keep frame boundaries across m_rst (see the class docstring).
        last = self.layout(cdc.r_data).last
        in_frame = Signal(reset_less=True)      # the read side has taken part of a frame, not its last beat
        resync = Signal(reset_less=True)        # m_rst happened: discard up to the next frame boundary
        m_rst = ResetSignal("m")
        skipping = m_rst | (resync & in_frame)
        take = cdc.r_rdy & cdc.r_en
        in_frame_next = Signal()
        m.d.comb += in_frame_next.eq(Mux(cdc.r_rst, 0, Mux(take, ~last, in_frame)))
        m.d.m += [in_frame.eq(in_frame_next), resync.eq(m_rst | (resync & in_frame_next))]
        # One register stage between the CDC FIFO and the packet FIFO: the packet FIFO's accept decision then starts
        # from flip-flops, not from the CDC FIFO's Gray-pointer comparison (its r_rdy). Nothing is taken while the
        # packet FIFO aborts (as before, when its ready was low), and a beat held at the abort belongs to the frame
        # being discarded, so it is dropped with it.
        hold_valid = Signal()
        hold_data = Signal(self.layout.size, reset_less=True)
        hold_free = ~cdc.r_rst & (~hold_valid | core.s_axis.ready)
        with m.If(cdc.r_rst):
            m.d.m += hold_valid.eq(0)
        with m.Elif(hold_free):
            m.d.m += [hold_valid.eq(cdc.r_rdy & ~skipping), hold_data.eq(cdc.r_data)]
        m.d.comb += [
            core.s_axis.payload.eq(hold_data),
            core.s_axis.valid.eq(hold_valid),
            cdc.r_en.eq(skipping | hold_free),
            core.abort.eq(cdc.r_rst),
        ]
        wiring.connect(m, wiring.flipped(self.m_axis), core.m_axis)
        m.d.comb += [getattr(self, n).eq(getattr(core, n))
                     for n in ("drop_bad", "drop_oversize", "drop_full", "level", "frames")]
        return m

