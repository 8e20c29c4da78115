"""Boltzmann machines on digits: the RBM (rbm), the two-layer DBM (dbm), clamped Gibbs inpainting and its
sweeps (inpaint), and the page's rooms: defaults, experiments, charts. References are in each module."""
