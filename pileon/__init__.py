"""pileon: find who is behind a pile-on, ranked and with evidence."""
