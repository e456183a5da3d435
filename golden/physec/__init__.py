"""golden/physec."""
