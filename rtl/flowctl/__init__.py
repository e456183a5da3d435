"""rtl/flowctl."""
