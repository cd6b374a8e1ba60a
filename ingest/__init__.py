"""pileon ingest."""
