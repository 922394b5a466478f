"""Figure files: exporting widgets to PNG, SVG and PDF, the offscreen comparison and study
figures the command line writes, and GIF recording. Qt, no torch."""
