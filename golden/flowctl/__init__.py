"""golden/flowctl."""
