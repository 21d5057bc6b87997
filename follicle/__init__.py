"""Follicle: clinical software for hair-loss mesotherapy clinics."""

__version__ = "0.1.0"
