"""Qt widgets that draw a snapshot: the run panels and the curves, their colours and items.
Shared by the window and the offscreen figures; no torch."""
