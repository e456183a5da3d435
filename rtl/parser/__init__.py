"""rtl/parser."""
