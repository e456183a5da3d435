"""golden/common."""
