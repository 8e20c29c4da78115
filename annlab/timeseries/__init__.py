"""Time series: the Santa Fe laser, predicted by an MLP and an LSTM from a window of past values."""
