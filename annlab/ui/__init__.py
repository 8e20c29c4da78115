"""The only part of annlab that imports streamlit: the frame, URL-bound widgets, training, cached calls.

``app.py`` calls :func:`frame` once (page config, house CSS, the shared sidebar). A view uses::

    from annlab import ui
    ui.page("Hopfield", "One-line lead.", look_for="What to look for ...")
    noise = ui.control(defaults.NOISE)               # a Control from the topic's defaults.py, URL-bound
    other = ui.persisted(st.slider, "Noise", key="hop_x", default=0.2, min_value=0.0, max_value=1.0)
    result = ui.train(spec)                          # store + LRU + progress + lasting learning curves
    out = ui.call(experiments.recall, result, noise)  # cached, keyed by the model's store key
    sweep = ui.on_demand("Run the sweep", experiments.sweep, cfg, key="hop_sweep")
    with ui.main_figure():
        ui.chart(charts.recall, out)                  # built once per arguments, then cached
    ui.image_grid(images, ncols=10)
    digit = ui.draw_digit("hop_canvas", page="Hopfield")
"""

from annlab.ui.background import ahead
from annlab.ui.cached import call, remember
from annlab.ui.canvas import draw_digit
from annlab.ui.display import chart, chart_spec, image_grid, read_table, show_chart, show_image, table
from annlab.ui.frame import frame, main_figure, page
from annlab.ui.lesson import join_form, lesson_bar, lessons_list, page_end
from annlab.ui.on_demand import on_demand
from annlab.ui.sidebar import LabSettings, current
from annlab.ui.stale import keep_last
from annlab.ui.train import learning_curves, load, train
from annlab.ui.widgets import control, controls, keep_in_range, persisted

__all__ = [
    "LabSettings",
    "ahead",
    "call",
    "chart",
    "chart_spec",
    "control",
    "controls",
    "current",
    "draw_digit",
    "frame",
    "image_grid",
    "join_form",
    "keep_in_range",
    "keep_last",
    "learning_curves",
    "lesson_bar",
    "lessons_list",
    "load",
    "main_figure",
    "on_demand",
    "page_end",
    "page",
    "persisted",
    "read_table",
    "remember",
    "show_chart",
    "show_image",
    "table",
    "train",
]
