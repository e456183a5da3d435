"""golden/top."""
