"""annlab home page: what the lab is, and a card per page."""

from pathlib import Path

import streamlit as st

from annlab import ui

PAGES = [
    ("pages/1_Optimizers.py", "Optimizer comparison",
     "Race gradient descent, momentum, Adam and L-BFGS from the same weights; watch momentum and "
     "Adam on loss landscapes."),
    ("pages/2_Hopfield.py", "Hopfield attractors",
     "Watch a Hopfield network fall into its attractors, find the spurious ones, and forget under load."),
    ("pages/3_RBM_inpainting.py", "RBM inpainting",
     "A restricted Boltzmann machine dreams digits and fills in erased rows, Gibbs step by Gibbs step."),
    ("pages/4_Latent_space.py", "Latent space",
     "Autoencoders, VAE and GAN: slide between digits, sample new ones, cluster the codes."),
    ("pages/5_WikiArt.py", "WikiArt styles",
     "Train a CNN on art styles, meet class imbalance head on, and try the remedies."),
    ("pages/6_Time_series.py", "Time series",
     "Predict the Santa Fe laser with an MLP and an LSTM; see why lag matters and closed loops are hard."),
]

lab = ui.page(
    "annlab: a lab for neural networks",
    "An interactive lab for teaching artificial neural networks and deep learning. Every page trains "
    "real models on real (offline) data, on the device you pick in the sidebar. Move a slider and the "
    "figure answers; draw a digit and hand it to a Hopfield network, an RBM or an autoencoder. The "
    "**seed** and every setting live in the page address: copy it to share the exact state with your "
    "class. Turn on **projector mode** in the sidebar for large text and thick, colour-blind-safe lines.",
)

HERE = Path(__file__).resolve().parent
for row in range(0, len(PAGES), 3):
    for col, (path, title, line) in zip(st.columns(3), PAGES[row: row + 3], strict=False):
        with col.container(border=True, height="stretch"):
            st.subheader(title)
            st.write(line)
            if (HERE / path).exists():
                st.page_link(path, label=f"Open {title}", icon=":material/arrow_forward:")
            else:
                st.caption("Coming soon.")

st.caption(f"Models run on **{lab.device}** · seed {lab.seed} · trained weights are cached in "
           "`models_cache/` (fill it before class with `python -m annlab warm`).")
