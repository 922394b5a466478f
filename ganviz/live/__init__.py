"""The window's training process: the training loop that plays, pauses and publishes snapshots,
and the process that hosts it beside the window. Importing it does not import torch; only
the process it starts does."""
