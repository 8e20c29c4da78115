"""Attention page: self-attention step by step (NumPy and torch), and a Vision Transformer on digits."""
