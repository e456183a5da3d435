"""AXI4-Lite interface signature (AMBA AXI and ACE Protocol Specification, ARM IHI 0022, part B: AXI4-Lite).

Member names are the AXI signal names without the channel prefix letter case changed, so the export function turns a
member ``s_axil`` into Verilog ports ``s_axil_awaddr`` ... ``s_axil_rready`` that cocotbext-axi's
``AxiLiteBus.from_prefix(dut, "s_axil")`` binds with its defaults.
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .layouts import validate_width

__all__ = ["AXI4LiteSignature", "RESP_OKAY", "RESP_SLVERR", "RESP_DECERR"]

RESP_OKAY = 0b00
RESP_SLVERR = 0b10
RESP_DECERR = 0b11


class AXI4LiteSignature(wiring.Signature):
    """AXI4-Lite, from the manager's point of view (a subordinate uses ``In(AXI4LiteSignature(...))``)."""

    def __init__(self, *, addr_width=12, data_width=32):
        validate_width("addr_width", addr_width, minimum=3, maximum=32)
        if data_width not in (32, 64):
            raise ValueError(f"AXI4-Lite data_width must be 32 or 64, not {data_width}")
        self.addr_width = addr_width
        self.data_width = data_width
        super().__init__({
            "awaddr": Out(addr_width), "awprot": Out(3), "awvalid": Out(1), "awready": In(1),
            "wdata": Out(data_width), "wstrb": Out(data_width // 8), "wvalid": Out(1), "wready": In(1),
            "bresp": In(2), "bvalid": In(1), "bready": Out(1),
            "araddr": Out(addr_width), "arprot": Out(3), "arvalid": Out(1), "arready": In(1),
            "rdata": In(data_width), "rresp": In(2), "rvalid": In(1), "rready": Out(1),
        })

    def __eq__(self, other):
        return (isinstance(other, AXI4LiteSignature) and self.addr_width == other.addr_width
                and self.data_width == other.data_width)

    def __repr__(self):
        return f"AXI4LiteSignature(addr_width={self.addr_width}, data_width={self.data_width})"
