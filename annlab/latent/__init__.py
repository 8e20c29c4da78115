"""Latent space: autoencoders (dense, convolutional, VAE, MMD-AE, denoising) and GANs on digits.

- :mod:`~annlab.latent.autoencoders`, :mod:`~annlab.latent.gan`: the models and their training.
- :mod:`~annlab.latent.codes`: interpolation, projections, clustering, classifiers and sampling of codes
  (samples are judged by the shared digit judge, :mod:`annlab.judge`).
- :mod:`~annlab.latent.splits`: fit / validation / test digits (validation carved from the train split).
- :mod:`~annlab.latent.defaults`: the configs and train specs the page starts from; ``warm``.
- :mod:`~annlab.latent.experiments`: what the page computes; :mod:`~annlab.latent.charts`: its charts.
"""
