"""The one list of topics: it feeds the navigation, the home cards, ``python -m annlab warm``, the
parametrized page tests and the latency benchmark. A new page is one entry here, its view in
``views/`` and its package in ``annlab/``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

SECTIONS = ("Optimization", "Memories and energies", "Deep features", "Applications")

WarmFn = Callable[[str, "int | None", Callable[[str], None]], None]


@dataclass(frozen=True)
class Topic:
    """One page of the lab.

    Attributes
    ----------
    title : name in the navigation and on the home card
    url_path : the page's address (kept stable: shared links must keep working)
    section : one of :data:`SECTIONS`
    icon : a Material icon name, ``":material/<name>:"``
    line : one sentence for the home card
    view : path of the view file, relative to the repository root
    warm : ``"module:function"``, the topic's warm-up ``fn(device, epochs, report)`` (trains what the
        page needs on defaults into the model store)
    main_control : widget key of the page's main interactive slider (moved by tests and benchmarks)
    """

    title: str
    url_path: str
    section: str
    icon: str
    line: str
    view: str
    warm: str
    main_control: str

    def __post_init__(self):
        if self.section not in SECTIONS:
            raise ValueError(f"Unknown section {self.section!r}; choose one of {SECTIONS}.")
        if ":" not in self.warm:
            raise ValueError(f"warm must be 'module:function', got {self.warm!r}.")

    def warm_fn(self, sliders: bool = False) -> WarmFn | None:
        """Import and return the topic's warm-up function. ``sliders``: its ``warm_sliders`` instead, which
        warms only what the page's class sliders need at every position (None when the page has no such
        stored work: its slider positions are computed in the server's memory on first use)."""
        module, name = self.warm.split(":")
        return getattr(importlib.import_module(module), "warm_sliders" if sliders else name, None)


TOPICS: tuple[Topic, ...] = (
    Topic(
        "Optimizers",
        "Optimizers",
        "Optimization",
        ":material/speed:",
        "Race gradient descent, momentum, Adam and L-BFGS from the same weights; watch momentum and "
        "Adam on loss landscapes.",
        "views/optimizers.py",
        "annlab.optim.defaults:warm",
        "opt_noise",
    ),
    Topic(
        "Hopfield",
        "Hopfield",
        "Memories and energies",
        ":material/blur_on:",
        "Watch a Hopfield network fall into its attractors, find the spurious ones, and forget under load.",
        "views/hopfield.py",
        "annlab.hopfield.defaults:warm",
        "hop_noise",
    ),
    Topic(
        "RBM inpainting",
        "RBM_inpainting",
        "Memories and energies",
        ":material/grid_on:",
        "A restricted Boltzmann machine dreams digits and fills in erased rows, Gibbs step by Gibbs step.",
        "views/rbm_inpainting.py",
        "annlab.boltzmann.defaults:warm",
        "rbm_recon_steps",
    ),
    Topic(
        "Latent space",
        "Latent_space",
        "Deep features",
        ":material/scatter_plot:",
        "Autoencoders, VAE and GAN: slide between digits, sample new ones, cluster the codes.",
        "views/latent_space.py",
        "annlab.latent.defaults:warm",
        "lat_t",
    ),
    Topic(
        "Convolutions",
        "CNN",
        "Deep features",
        ":material/filter_center_focus:",
        "Slide a kernel by hand, count a network's parameters, then design and train a CNN on digits.",
        "views/cnn.py",
        "annlab.cnn.defaults:warm",
        "cnn_pos",
    ),
    Topic(
        "Attention",
        "Attention",
        "Deep features",
        ":material/visibility:",
        "Self-attention matrix by matrix, then a Vision Transformer on digits and where its heads look.",
        "views/attention.py",
        "annlab.attention.defaults:warm",
        "att_dk",
    ),
    Topic(
        "Stacked autoencoders",
        "Stacked_autoencoders",
        "Deep features",
        ":material/stacks:",
        "Pretrain a stack of autoencoders layer by layer, fine-tune it, and see when pretraining pays.",
        "views/stacked.py",
        "annlab.stacked.defaults:warm",
        "sae_labels",
    ),
    Topic(
        "WikiArt",
        "WikiArt",
        "Applications",
        ":material/palette:",
        "Train a CNN on art styles, meet class imbalance head on, and try the remedies.",
        "views/wikiart.py",
        "annlab.wikiart.defaults:warm",
        "art_prior",
    ),
    Topic(
        "Time series",
        "Time_series",
        "Applications",
        ":material/show_chart:",
        "Predict the Santa Fe laser with an MLP and an LSTM; see why lag matters and closed loops are hard.",
        "views/time_series.py",
        "annlab.timeseries.defaults:warm",
        "ts_lag",
    ),
)
