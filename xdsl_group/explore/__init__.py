"""Neural architecture search as a search over program transformations."""
