"""Measurements of the course's code: speed of its pieces, and of its agents against a reference."""
