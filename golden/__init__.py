"""din.golden: pure-Python, bit-exact reference models written from the specs.

Imports nothing from ``din.rtl``, ``din.sim`` or Amaranth: a golden model that shares code with the RTL checks nothing.
"""
