"""Balanced reduction trees for wide combinational logic (adder trees, AND-OR multiplexers)."""

__all__ = ["balanced_reduce"]


def balanced_reduce(values, op):
    """``op`` applied over ``values`` as a balanced binary tree (pairs of neighbours, level by level), so the depth is
    log2 of the count rather than the count. ``values`` must not be empty."""
    values = list(values)
    if not values:
        raise ValueError("balanced_reduce of nothing")
    while len(values) > 1:
        values = [op(values[i], values[i + 1]) if i + 1 < len(values) else values[i]
                  for i in range(0, len(values), 2)]
    return values[0]
