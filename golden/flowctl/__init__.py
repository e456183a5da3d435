"""Golden model of the micro-flow backpressure queue manager (spec ``flowctl.md``), plain Python.

One concern per module: ``config`` (parameters, latency constants, headroom H, safe guard), ``buffer`` (cells, free
list, ownership), ``admission`` (admission and the XOFF/XON controller), ``mfc`` (frame format and sender), ``reaction``
(parser, leases, apply port), ``pfc`` (802.3 Annex 31D frames), ``drr`` (scheduler), ``model`` (the cycle-level block),
``harness`` (closed-loop test bench pieces) and ``scenarios`` (spec §9).
"""

from .config import FlowCtlConfig, FlowCfg, Profile
from .model import FlowCtlModel

__all__ = ["FlowCtlConfig", "FlowCfg", "Profile", "FlowCtlModel"]
