"""pileon api."""
