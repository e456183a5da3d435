"""The exportable tops: one entry per block the ``din`` tool can turn into Verilog, simulate and build.

The common building blocks are listed here; every other block folder lists its own in ``din.rtl.<block>.tops``
(a ``TOPS`` list of :class:`Top`), collected below in block order.

Conventions keyed on an entry (so nothing is listed twice): its cocotb testbench is ``din.sim.<folder>.tb_<name>``,
its FPGA budget is ``fpga/<folder>/<name>.budget.json``, its Verilog module is ``din_<name>``.
"""

from dataclasses import dataclass, field
import importlib

__all__ = ["Top", "TOPS", "BLOCKS", "get_top", "block_modules"]


@dataclass(frozen=True)
class Top:
    name: str                       # command-line name, e.g. "skid_buffer"
    folder: str                     # common / parser / flowctl / physec / top
    factory: str                    # "module:Class" under din.rtl, called with keyword parameters
    description: str
    defaults: dict = field(default_factory=dict)
    domains: tuple = ("sync",)
    #: target clock per domain in MHz (spec/README.md "Targets"); FPGA builds constrain to these
    clocks_mhz: dict = field(default_factory=lambda: {"sync": 156.25})

    @property
    def module(self):
        return f"din_{self.name}"

    def params(self, overrides=None):
        params = dict(self.defaults)
        for key, value in (overrides or {}).items():
            if key not in params:
                raise ValueError(f"{self.name} has no parameter {key!r}; it has: {', '.join(sorted(params)) or 'none'}")
            params[key] = value
        return params

    def build(self, overrides=None):
        """Instantiate the component with the defaults updated by ``overrides``."""
        mod_name, cls_name = self.factory.split(":")
        cls = getattr(importlib.import_module(f"din.rtl.{mod_name}"), cls_name)
        return cls(**self.params(overrides))


_COMMON = [
    Top("skid_buffer", "common", "common.skid:SkidBuffer",
        "AXI-Stream register slice (skid buffer), one beat per cycle, all paths registered",
        defaults={"data_width": 64, "user_width": 1, "dest_width": 0}, clocks_mhz={"sync": 250.0}),
    Top("packet_fifo", "common", "common.packet_fifo:PacketFIFO",
        "store-and-forward packet FIFO in one clock domain, optional drop of bad / oversize frames",
        defaults={"data_width": 64, "user_width": 1, "dest_width": 0, "depth": 512,
                  "drop_bad_frame": True, "drop_when_full": False}, clocks_mhz={"sync": 250.0}),
    Top("async_packet_fifo", "common", "common.packet_fifo:AsyncPacketFIFO",
        "packet FIFO across two clock domains (s_clk writes, m_clk reads)",
        defaults={"data_width": 64, "user_width": 1, "dest_width": 0, "depth": 512, "cdc_depth": 16,
                  "drop_bad_frame": True, "drop_when_full": False},
        domains=("s", "m"), clocks_mhz={"s": 161.1328125, "m": 156.25}),
    Top("axil_regs", "common", "common.axil_regs:ExampleRegisters",
        "AXI4-Lite register block generated from a register-map declaration (example map with every kind)",
        defaults={}, clocks_mhz={"sync": 156.25}),
]

#: block folders whose ``tops`` module adds entries, in pipeline order
BLOCKS = ("parser", "flowctl", "physec", "top")


def block_modules(template):
    """Import ``template.format(block=...)`` for every block folder that has it (e.g. ``"din.rtl.{block}.tops"``);
    a module that exists but fails to import raises as usual."""
    for block in BLOCKS:
        name = template.format(block=block)
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise


def _collect():
    tops = list(_COMMON)
    for mod in block_modules("din.rtl.{block}.tops"):
        tops.extend(mod.TOPS)
    names = [t.name for t in tops]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate top names in the catalog: {', '.join(dupes)}")
    return {t.name: t for t in tops}


TOPS = _collect()


def get_top(name):
    try:
        return TOPS[name]
    except KeyError:
        raise KeyError(f"unknown block {name!r}; known blocks: {', '.join(TOPS)}") from None
