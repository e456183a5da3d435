"""golden/parser."""
