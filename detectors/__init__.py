"""pileon detectors."""
