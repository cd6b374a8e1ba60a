"""pileon graph."""
