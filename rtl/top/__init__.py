"""rtl/top."""
