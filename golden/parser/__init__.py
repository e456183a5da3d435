"""Golden model of the SRv6 / G-SRv6 / ARN header parser and its classifier (../shared/spec/parser.md).

Pure Python: imports nothing from Amaranth, ``din.rtl``, ``din.sim``, cocotb or scapy (scapy is the independent
reference the tests compare against). One concern per module:

* ``model``: :func:`parse_frame` — frame bytes → :class:`ParseRecord` (parser.md §2, §5, §8)
* ``errors``: the error table, one fixed bit and name per error (parser.md §6)
* ``config``: :class:`ParserConfig`, the register values, from CONFIG.json (parser.md §4, §8)
* ``options``: HBH / DOH option walk; ARN, APN6, NRP, Alt-Mark, IOAM (parser.md §4)
* ``srh``: routing header / SRH and its TLVs (RFC 8754)
* ``csid``: RFC 9800 NEXT-C-SID / REPLACE-C-SID next DA (parser.md §3)
* ``flowhash``: CRC-32C from its polynomial and the flow hash (parser.md §5)
* ``classifier``: the match-action tables (parser.md §7)
* ``pcap``: a small pcap / pcapng reader
"""

from .classifier import Action, Classifier, Decision
from .config import CsidBlock, Limits, ParserConfig, load_config
from .errors import BY_NAME, ERRORS
from .model import parse_frame
from .pcap import read_pcap
from .record import ParseRecord

__all__ = ["parse_frame", "ParseRecord", "ParserConfig", "CsidBlock", "Limits", "load_config", "ERRORS", "BY_NAME",
           "Classifier", "Action", "Decision", "read_pcap"]
