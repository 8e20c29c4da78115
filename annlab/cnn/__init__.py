"""Convolutions and CNNs: a convolution by hand, parameter counting, and CNNs designed and trained on digits.

- :mod:`~annlab.cnn.conv`: the convolution by hand (window by window) and the output-size rule.
- :mod:`~annlab.cnn.params`: the per-layer shape and parameter table of a design, checked before training.
- :mod:`~annlab.cnn.models`: the configurable CNN, the dense baseline and their training loop.
- :mod:`~annlab.cnn.defaults`: the configs, controls and train specs the page starts from; ``warm``.
- :mod:`~annlab.cnn.experiments`: what the page computes; :mod:`~annlab.cnn.charts`: its charts.
"""
