"""The layer everything stands on: errors, names, the configuration, the contract between the
training process and the window, the history, the run roster and the help text. No torch, no
Qt."""
