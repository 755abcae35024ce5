"""Measures of access, equity and cost on population cells (one module per concern)."""
