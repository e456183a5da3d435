"""RFC 9800 compressed-SID next-DA computation (parser.md §3, §8; background/srv6_arn.md §3).

Bit numbering is RFC style: bit 0 is the most significant bit of the 128-bit address. A C-SID container in the
Segment List holds K = 128 / LNFL C-SIDs, position j at bits [j*LNFL, (j+1)*LNFL) (RFC 9800 §4.2).

``next_csid`` computes what the End behaviour of the matching descriptor would write into the DA, from the
packet as it arrives: the DA, and the SRH state the parser captured (SL, LE, the max LE from Hdr Ext Len,
Segment List[SL] and [SL - 1]).
"""

from dataclasses import dataclass

__all__ = ["CsidResult", "match_block", "next_csid", "container_csid", "replace_index"]


@dataclass(frozen=True)
class CsidResult:
    block: int                  # index of the matching descriptor (table order)
    flavor: str                 # "next" | "replace"
    index: int | None           # REPLACE-C-SID: the index in the arriving DA; NEXT-C-SID: None
    next_index: int | None      # REPLACE-C-SID: the index written into next_da (None at the end / on error)
    next_da: int | None         # None at the end of the path, on CSID_BAD, or when the SID needed was not captured
    end: bool                   # end of the path: process the upper layer (parser.md §8)
    bad: bool                   # CSID_BAD (parser.md §6)


def match_block(blocks, da):
    """First descriptor in table order whose first LBL bits equal the DA's (parser.md §8)."""
    for i, b in enumerate(blocks):
        if b.matches(da):
            return i, b
    return None, None


def container_csid(container, pos, lnfl):
    """C-SID at position ``pos`` of a 128-bit container (RFC 9800 §4.2: position 0 is the most significant)."""
    return (container >> (128 - (pos + 1) * lnfl)) & ((1 << lnfl) - 1)


def replace_index(block, da):
    return da & ((1 << block.index_bits) - 1)


def next_csid(blocks, da, srh):
    """C-SID result for ``da`` (128-bit int) or None when no descriptor matches.

    ``srh`` is None (no SRH) or an object with ``sl``, ``le``, ``max_le``, ``seg_cur``, ``seg_next`` (ints or
    None when not captured). A routing header that is not an SRH counts as no SRH.
    """
    i, blk = match_block(blocks, da)
    if blk is None:
        return None
    if blk.flavor == "next":
        return _next(i, blk, da, srh)
    return _replace(i, blk, da, srh)


def _next(i, blk, da, srh):
    # RFC 9800 §4.1.1 (End with NEXT-C-SID), background/srv6_arn.md §3.1
    al = 128 - blk.lbl - blk.lnfl
    arg = da & ((1 << al) - 1) if al else 0
    if arg:
        block_bits = da >> (128 - blk.lbl) << (128 - blk.lbl)
        # DA[LBL .. LBL+AL-1] = DA.Argument; DA[LBL+AL .. 127] = 0; SL unchanged
        return CsidResult(i, "next", None, None, block_bits | (arg << blk.lnfl), False, False)
    # normal End (RFC 8986 §4.1): SL == 0 (or no SRH) ends the path, else DA = Segment List[SL - 1]
    if srh is None or srh.sl == 0:
        return CsidResult(i, "next", None, None, None, True, False)
    return CsidResult(i, "next", None, None, srh.seg_next, False, False)


def _replace(i, blk, da, srh):
    # RFC 9800 §4.2.1 (End with REPLACE-C-SID), parser.md §3, background/srv6_arn.md §3.2
    k, lnfl = blk.k, blk.lnfl
    idx = replace_index(blk, da)
    if idx >= k:                                        # index >= 128 / LNFL cannot name a C-SID
        return CsidResult(i, "replace", idx, None, None, False, True)
    if srh is None:
        # parser.md §8: "REPLACE-C-SID with index != 0 and no SRH is the end of the path, not an error"
        return CsidResult(i, "replace", idx, None, None, True, False)
    sl, le = srh.sl, srh.le
    # S02: SL == 0 and (index == 0 or Segment List[0][index - 1] == 0): end of path
    if sl == 0:
        if idx == 0:
            return CsidResult(i, "replace", idx, None, None, True, False)
        if srh.seg_cur is None:
            return CsidResult(i, "replace", idx, None, None, False, False)
        if container_csid(srh.seg_cur, idx - 1, lnfl) == 0:
            return CsidResult(i, "replace", idx, None, None, True, False)
    if idx != 0:
        # S09-S10: LE > max_LE or SL > LE → Parameter Problem (SL must point at a container in the list)
        if le > srh.max_le or sl > le:
            return CsidResult(i, "replace", idx, None, None, False, True)
        idx -= 1                                        # S13
        if srh.seg_cur is None:
            return CsidResult(i, "replace", idx + 1, None, None, False, False)
        csid = container_csid(srh.seg_cur, idx, lnfl)
        if csid == 0:
            # S14-S18: end of the container: SL -= 1, DA = Segment List[SL] (a full 128-bit SID)
            return CsidResult(i, "replace", idx + 1, None, srh.seg_next, False, False)
        source_idx = idx + 1
    else:
        # S21-S25 (S21's checks are the SRH's own fatal errors): SL -= 1, index = K - 1
        if le > srh.max_le or sl > le + 1:
            return CsidResult(i, "replace", idx, None, None, False, True)
        idx = k - 1
        if srh.seg_next is None:
            return CsidResult(i, "replace", 0, None, None, False, False)
        csid = container_csid(srh.seg_next, idx, lnfl)
        source_idx = 0
    # S28: DA[LBL .. LBL+LNFL-1] = C-SID; DA.index = idx; the other argument bits are kept
    shift = 128 - blk.lbl - lnfl
    cleared = da & ~(((1 << lnfl) - 1) << shift) & ~((1 << blk.index_bits) - 1)
    return CsidResult(i, "replace", source_idx, idx, cleared | (csid << shift) | idx, False, False)
