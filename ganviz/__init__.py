"""ganviz: learned versus fixed generator conditional variance in GANs, side by side."""

__version__ = "0.1.0"
