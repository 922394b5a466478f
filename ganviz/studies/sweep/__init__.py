"""Sweeps: the plan read from a sweep file, its work units, and running them in process or on a
Ray cluster."""
