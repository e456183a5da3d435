"""sim/physec."""
