"""din.rtl: Amaranth 0.5 hardware of the DIN edge data plane.

One sub-package per block (``common``, ``parser``, ``flowctl``, ``physec``, ``top``); ``catalog`` lists the exportable tops.
``rtl`` imports nothing from ``din.golden`` or ``din.sim``.
"""
