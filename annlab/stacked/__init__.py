"""Stacked autoencoders: greedy layer-wise pretraining, a softmax on frozen codes, fine-tuning, and the
same network from random weights (the Stacked autoencoders page)."""
