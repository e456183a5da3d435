"""PHYSec tops for ``din verilog / sim / bench / build`` (collected by :mod:`din.rtl.catalog`).

Clocks (spec/README.md "Targets"): client side ``sync`` 156.25 MHz; line side ``line`` 161.1328125 MHz.
"""

from din.rtl.catalog import Top

__all__ = ["TOPS"]

CLIENT_MHZ = 156.25
LINE_MHZ = 161.1328125

TOPS = [
]
