"""rtl/physec."""
