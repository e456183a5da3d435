"""The header parser with its AXI4-Lite registers: the block users instantiate (``din_parser``).

:class:`~din.rtl.parser.parser.Parser` is the parsing core with its configuration as plain input ports (for a design
that ties the configuration to constants); this component puts the register map
:data:`~din.rtl.parser.parser_regs.PARSER_REGMAP` in front of it:

* the configuration registers drive the core's ``cfg_*`` inputs through one register stage (a register write takes
  effect two cycles later; the walk never sees a half-written 128-bit prefix because software writes it while no
  traffic flows, parser_regs.py);
* ``CONFIG_ERR`` flags a misconfiguration and the core gets the defined reading of each flagged value
  (parser_regs.py ``CONFIG_ERR_FIELDS``): ``MAX_EXT`` above 8 is 8; a C-SID descriptor with impossible lengths is
  disabled;
* the counters count records as they leave ``m_meta``: all, with a fatal / soft / informational error, with an
  inner-header error; ``WALK_GUARD`` counts walks ended by the walker's action guard (expected 0).

Ports: ``s_axis`` / ``m_axis`` (frames, 64-bit, ``tuser[0]`` = MAC error), ``m_meta`` (records, parser.md §5),
``s_axil`` (registers).
"""

from amaranth.hdl import Cat, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from din.rtl.common.axil_regs import AXI4LiteRegisters
from .consts import ERR
from .parser import Parser
from .parser_regs import CSID_BLOCKS, ERROR_CLASS_MASKS, MAX_EXT_HW, PARSER_REGMAP

__all__ = ["ParserAxil"]


class ParserAxil(wiring.Component):
    """Parameters: those of :class:`~din.rtl.parser.parser.Parser` (``record_depth``, ``word_depth``)."""

    def __init__(self, *, record_depth=16, word_depth=16):
        self._core = Parser(record_depth=record_depth, word_depth=word_depth)
        self._regs = AXI4LiteRegisters(PARSER_REGMAP)
        self.params = dict(self._core.params)
        core = self._core.signature.members
        super().__init__({
            "s_axis": core["s_axis"],
            "m_axis": core["m_axis"],
            "m_meta": core["m_meta"],
            "s_axil": self._regs.signature.members["s_axil"],
        })

    def elaborate(self, platform):
        m = Module()
        m.submodules.core = core = self._core
        m.submodules.regs = regs = self._regs
        wiring.connect(m, wiring.flipped(self.s_axil), regs.s_axil)
        m.d.comb += [
            core.s_axis.valid.eq(self.s_axis.valid), core.s_axis.payload.eq(self.s_axis.payload),
            self.s_axis.ready.eq(core.s_axis.ready),
            self.m_axis.valid.eq(core.m_axis.valid), self.m_axis.payload.eq(core.m_axis.payload),
            core.m_axis.ready.eq(self.m_axis.ready),
            self.m_meta.valid.eq(core.m_meta.valid), self.m_meta.payload.eq(core.m_meta.payload),
            core.m_meta.ready.eq(self.m_meta.ready),
        ]

        # ---- configuration: registers -> (defined reading) -> one register stage -> core --------------------
        arn, na, io, carve, lim, limb = (regs.opt_arn, regs.opt_nrp_alt, regs.opt_ioam, regs.arn_carve,
                                         regs.limits, regs.limits_bytes)
        max_ext = Signal(5)
        m.d.comb += max_ext.eq(Mux(lim.max_ext > MAX_EXT_HW, MAX_EXT_HW, lim.max_ext))
        cfg = {
            "arn_type": arn.type, "arn_hbh": arn.hbh, "arn_doh": arn.doh,
            "apn6_type": arn.apn6_type, "apn6_en": arn.apn6_en,
            "nrp_type": na.nrp_type, "nrp_en": na.nrp_en, "alt_type": na.alt_type, "alt_en": na.alt_en,
            "ioam_hbh_type": io.hbh_type, "ioam_hbh_en": io.hbh_en,
            "ioam_doh_type": io.doh_type, "ioam_doh_en": io.doh_en,
            "max_ext": max_ext, "max_opts": lim.max_opts, "max_pad": lim.max_pad,
            "max_opt_hdr": limb.max_opt_hdr, "window": limb.window, "sl0_allowed": regs.sl0_allowed,
            "carve0": carve.app_group, "carve1": carve.app, "carve2": carve.user_group, "carve3": carve.user,
        }
        csid_bad = []
        for i in range(CSID_BLOCKS):
            c = getattr(regs, f"csid{i}")
            lengths_ok = (c.lbl != 0) & (c.lnfl != 0) & (c.lbl + c.lnfl <= 128)
            csid_bad.append(c.en & ~lengths_ok)
            cfg.update({f"csid{i}_en": c.en & lengths_ok, f"csid{i}_replace": c.replace, f"csid{i}_lbl": c.lbl,
                        f"csid{i}_lnfl": c.lnfl, f"csid{i}_prefix": getattr(regs, f"csid{i}_prefix")})
        for name, value in cfg.items():
            m.d.sync += getattr(core, f"cfg_{name}").eq(value)

        # ---- CONFIG_ERR ------------------------------------------------------------------------------------------
        decoded = [(arn.type, arn.hbh | arn.doh), (arn.apn6_type, arn.apn6_en), (na.nrp_type, na.nrp_en),
                   (na.alt_type, na.alt_en), (io.hbh_type, io.hbh_en), (io.doh_type, io.doh_en)]
        conflict = 0
        for k, (t, en) in enumerate(decoded):
            conflict = conflict | (en & (t < 2))
            for t2, en2 in decoded[k + 1:]:
                conflict = conflict | (en & en2 & (t == t2))
        flags = Signal(5)
        m.d.sync += flags.eq(Cat(
            conflict,
            (lim.max_ext == 0) | (lim.max_ext > MAX_EXT_HW),
            (lim.max_opts == 0) | (limb.max_opt_hdr == 0) | (limb.window == 0),
            Cat(*[getattr(carve, f) > 112 for f in ("app_group", "app", "user_group", "user")]).any(),
            Cat(*csid_bad).any() | core.csid_cfg_err,
        ))
        m.d.comb += regs.config_err.eq(flags)

        # ---- record counters -------------------------------------------------------------------------------------
        done = self.m_meta.valid & self.m_meta.ready
        errs = core.m_meta.payload.errs
        m.d.comb += [
            regs.frames_inc.eq(done),
            regs.fatal_inc.eq(done & (errs & ERROR_CLASS_MASKS["fatal"]).any()),
            regs.soft_inc.eq(done & (errs & ERROR_CLASS_MASKS["soft"]).any()),
            regs.info_inc.eq(done & (errs & ERROR_CLASS_MASKS["info"]).any()),
            regs.inner_inc.eq(done & errs[ERR["INNER_ERR"]]),
            regs.walk_guard_inc.eq(core.walk_guard),
        ]
        return m
