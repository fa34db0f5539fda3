"""Topics: the layer model and its stages, layer results, per-parent layers, metrics, tuning, the inference model."""
