"""The only part of annlab that imports streamlit: shared sidebar, widgets, canvas, cached training.

Pages use::

    from annlab import ui
    lab = ui.page("Hopfield attractors", "What to look for ...")   # config, sidebar, title
    noise = ui.persisted(st.slider, "Noise", key="hop_noise", default=0.2, min_value=0.0, max_value=1.0)
    ui.show_chart(chart)                                             # projector styling applied
    digit = ui.draw_digit("hop_canvas", page="Hopfield")             # (28, 28) or None
    result = ui.train(cfg, train_fn, build, data_fn, data_key=..., device=lab.device, seed=lab.seed,
                      label="the RBM", num_epochs=cfg.num_epochs)
"""

from annlab.ui.canvas import draw_digit
from annlab.ui.layout import page, show_chart, show_image
from annlab.ui.sidebar import LabSettings, current, sidebar
from annlab.ui.state import persisted, remember
from annlab.ui.train import train

__all__ = ["LabSettings", "current", "draw_digit", "page", "persisted", "remember", "show_chart",
           "show_image", "sidebar", "train"]
