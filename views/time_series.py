"""Time series: the Santa Fe laser, an MLP against an LSTM, lag and hidden units, closed-loop forecasts."""

import dataclasses
import functools

import streamlit as st

from annlab import jobs, ui
from annlab.controls import neighbours
from annlab.timeseries import charts as tc
from annlab.timeseries import defaults as d
from annlab.timeseries import experiments as ex
from annlab.timeseries.data import santafe_split

HONESTY = (
    "The default settings were chosen honestly: by rolling-origin closed-loop validation inside points "
    "1-1,000 (fit the points before an origin, forecast the 100 after it, for several origins; the "
    "**Defaults** tab shows the candidates). Points 1,001-1,100 are the **test**: read only to score the "
    "refitted models."
)

ui.page(
    "Time series: the Santa Fe laser",
    "From its last **lag** values, predict the laser's next: **one step** ahead, or in a **closed loop**.",
    look_for="How the **one-step** forecast (fed the true past at every step) looks easy for both models, "
    "while the **closed-loop** forecast (fed its own predictions) lets small errors grow: it drifts out of "
    "phase or misses the collapse near point 1,065 unless the model is fitted very precisely; how a lag too "
    "short to cover a pulse cannot work; and how much the score moves with the seed. Every score stands "
    "beside two baselines: predicting the training mean (NMSE about 1) and repeating the last value. A model "
    "that does not beat the mean says so.\n\n" + HONESTY,
)
lab, split = ui.current(), ui.call(santafe_split)
SETTINGS = "The {}'s settings: hidden units, epochs, optimizer, steps fed back in the loss ..."


def model_settings() -> dict:
    """The lag slider, the validation choice and both models' settings; returns their configs by name."""
    c1, c2, c3, c4 = st.columns([3, 3, 2, 2], vertical_alignment="bottom")
    lag, val = ui.control(d.LAG, c1), ui.control(d.VALIDATION_CONTROL, c2)
    with c3.popover("MLP", icon=":material/tune:", width="stretch", help=SETTINGS.format("MLP")):
        mlp = d.model_config("mlp", lag=lag, validation=val, **popover_controls(d.MLP_CONTROLS))
    with c4.popover("LSTM", icon=":material/tune:", width="stretch", help=SETTINGS.format("LSTM")):
        lstm = d.model_config("lstm", lag=lag, validation=val, **popover_controls(d.LSTM_CONTROLS))
    return {"MLP": mlp, "LSTM": lstm}


def popover_controls(table: dict) -> dict:
    """A model's controls in order; one that does nothing given those before it is disabled, saying why."""
    chosen = {}
    for field, c in table.items():
        chosen[field] = ui.control(c, **d.control_state(field, chosen))
    return chosen


def draw_forecasts(value, stale: bool) -> None:
    """The main figure: forecasts of points 1,001-1,100, scores beside the baselines, learning curves."""
    cmp, results, specs = value
    left, right = st.columns([1, 3], gap="medium")
    with left:
        for m in cmp.metrics:
            st.metric(m.label, m.value, delta=m.delta, delta_color="inverse", help=m.help)
    with right:
        with st.container() if stale else ui.main_figure():  # one main figure per page
            panels = tc.forecast_charts(split, cmp, model_keys(specs), lab.projector)
            for col, (build, args, kw, key) in zip(st.columns(2), panels, strict=True):
                with col:
                    ui.chart(build, *args, cache_key=key, **kw)
        ui.table(cmp.nmse_table, index=True)
        st.markdown(cmp.against_baselines)
        st.caption(ui.call(ex.chosen_note))
    if stale:
        return
    scores = st.expander(
        "All scores: validation, test MSE and NMSE, training time",
        icon=":material/table:",
        key="ts_scores",
        on_change="rerun",  # its table is built only while it is open, not on every press of the slider
    )
    if scores.open:
        with scores:
            ui.table(cmp.table, index=True)
            st.markdown(f"{cmp.caption} {d.TRAINING_NOTE}")
    for message in cmp.verdicts:
        st.warning(message)
    for col, (name, spec) in zip(st.columns(len(specs)), specs.items(), strict=True):
        with col:
            ui.learning_curves(results[name], spec)


@st.fragment
def forecasts() -> None:
    """The lag slider's section: a lag not trained yet keeps the last figure, marked stale, meanwhile."""
    cfgs = model_settings()
    specs = {name: d.model_spec(cfg, lab.seed) for name, cfg in cfgs.items()}

    def compute():
        results = {name: ui.train(spec, show_curves=False) for name, spec in specs.items()}
        return ui.call(ex.compare, results), results, specs

    lag = cfgs["MLP"].lag
    ready = all(jobs.stored(spec) for spec in specs.values())
    ui.keep_last("ts_forecasts", compute, draw_forecasts, ready=ready, label=f"lag {lag}")
    here = (lab.seed, lab.device, lab.projector)
    near = neighbours(sorted(d.lag_positions()), lag)  # the next presses' lags, prepared meanwhile
    ui.ahead("ts_lag", [functools.partial(prepare, cfgs, n, *here) for n in near])


def model_keys(specs: dict) -> tuple:  # what determines the forecast panels: the models' store keys
    return tuple(spec.key for spec in specs.values())


def prepare(cfgs: dict, lag: int, seed: int, device: str, projector: bool) -> None:
    """The forecasts' figures at ``lag``, built ahead into the caches the page reads (stored models only)."""
    specs = {name: d.model_spec(dataclasses.replace(cfg, lag=lag), seed) for name, cfg in cfgs.items()}
    results = {name: ui.load(spec, device) for name, spec in specs.items()}
    if all(results.values()):
        cmp = ui.call(ex.compare, results)
        for build, args, kw, key in tc.forecast_charts(split, cmp, model_keys(specs), projector):
            ui.chart_spec(build, *args, projector=projector, cache_key=key, **kw)


tabs = st.tabs(
    ["Forecasts", "Series", "Seeds", "Grid search", "Defaults"],
    on_change="rerun",
    key="ts_tab",
    bind="query-params",
)
if tabs[0].open:
    with tabs[0]:
        forecasts()

if tabs[1].open:
    with tabs[1]:
        ui.show_chart(tc.series_chart(split.train_raw, split.test_raw))
        st.caption(
            f"Points 1-1,000 train the models; 1,001-1,100 are only used to score them. Both parts are "
            f"normalised with the training mean ({split.mean:.1f}) and standard deviation ({split.std:.1f})."
        )

if tabs[2].open:
    with tabs[2]:
        n = len(d.SEEDS)
        st.markdown(
            f"The same settings trained from {n} different random starts (seeds {d.SEEDS[0]}-{d.SEEDS[-1]}), "
            f"each scored on the closed-loop forecast of points 1,001-1,100 (test). {HONESTY}"
        )
        left, right = st.columns([1, 3], gap="medium")
        with left:
            cfgs = model_settings()
        with right:
            if ex.all_stored(cfgs):
                studies = ui.call(ex.seed_studies, cfgs, lab.device, progress=f"Scoring {n} seeds per model")
            else:
                args = (f"Train {n} seeds per model", ex.seed_studies, cfgs, lab.device)
                studies = ui.on_demand(*args, key="ts_seed", progress=True, note=ex.NOT_STORED)
            for col, study in zip(st.columns(2), (studies or {}).values(), strict=False):
                with col:
                    st.metric(study.metric.label, study.metric.value, help=study.metric.help)
                    ui.show_chart(tc.seed_chart(study.rows, study.mean_baseline))
                    if study.warning:
                        st.warning(study.warning)

if tabs[3].open:
    with tabs[3]:
        st.markdown(
            "Each cell trains the model on the training part only, with expanding time-series folds: the "
            "last blocks of the training part are the validation sets, in time order, and a **gap equal to "
            "the lag** separates training from validation so no validation input was ever a training target. "
            "The score is the one-step validation MSE averaged over the folds. To stay quick, every fit is a "
            "short full-batch Adam run, rougher than the tuned models of the first tab. Does the best cell "
            "also give the best closed loop?"
        )
        g = ui.controls(d.GRID_CONTROLS, 4)
        base = d.grid_config(g["model"], g["num_epochs"])
        plan = ex.GridPlan(base, *d.grid_axes(), g["n_folds"], g["val_size"], lab.seed)
        grid = None
        if plan.problem():
            st.error(plan.problem())
        else:
            grid = ui.on_demand(plan.label, ex.run_grid, plan, lab.device, key="ts_grid", progress=True)
        if grid is not None:
            st.caption(grid.caption)
            if grid.warning:
                st.warning(grid.warning)
        if grid is not None and grid.best is not None:
            cell, sentence = grid.pick(st.session_state.get("ts_grid_chart"))
            chart = tc.grid_chart(grid.rows, selected=cell)
            ui.show_chart(chart, on_select="rerun", key="ts_grid_chart", selection_mode="cell")
            st.markdown(sentence)
            res = ui.train(d.cell_spec(grid.plan.base, *cell, lab.seed))
            if not res.diverged:
                report = ui.call(ex.cell_report, res, grid.cv(cell))
                st.markdown(report.text)
                ui.show_chart(tc.continuation_chart(split, report.curves, title=report.title))

if tabs[4].open:
    with tabs[4]:
        table = ui.call(ex.selection_table)
        if table is None:
            st.warning("No selection saved yet: run `python bench/timeseries_select.py`.")
        else:
            st.markdown(ui.call(ex.selection_note))
            st.dataframe(table, hide_index=True, width="stretch")
