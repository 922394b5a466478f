"""The window (Qt only): it draws snapshots the engine computes and never does tensor maths."""
