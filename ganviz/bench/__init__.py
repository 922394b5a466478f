"""Benchmarks behind `python main.py bench`: the engine's step rates, the probes' share, and
the window's rate against headless."""
