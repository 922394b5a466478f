"""The GAN maths on torch: networks, the gradient estimators, the batched training step, the
optimiser, the trainer, its checkpoints, metrics and the probes that compute what the views
draw. No Qt."""
