"""The headless commands' work: train, compare, sweeps (in process or on Ray), the variance
study and the statistical analysis. No Qt."""
