"""The real data: the bundled mixtures and the user's own point files."""
