"""Time series: the Santa Fe laser, an MLP against an LSTM, lag and hidden units, closed-loop forecasts."""

import streamlit as st

from annlab import ui
from annlab.timeseries import charts as tc
from annlab.timeseries import defaults as d
from annlab.timeseries import experiments as ex
from annlab.timeseries.data import santafe_split

EPOCH_HELP = (
    "Adam: one pass over all windows per epoch (the LSTM in mini-batches of 64). "
    "L-BFGS: up to 20 full-batch iterations with a line search per epoch."
)
HONESTY = (
    "A word of honesty: the default settings were picked by trying settings on these very points and "
    "seeds, so their score flatters them; a fair choice would use a closed-loop forecast of a stretch "
    "inside points 1-1,000."
)

ui.page(
    "Time series: the Santa Fe laser",
    "A model sees the last **lag** values of the laser and predicts the next one, fed the true past "
    "(**one step**) or its own predictions (**closed loop**).",
    look_for="How the **one-step** forecast (fed the true past at every step) looks easy for both models, "
    "while the **closed-loop** forecast (fed its own predictions) lets small errors grow: it drifts out of "
    "phase or misses the collapse near point 1,065 unless the model is fitted very precisely (the default "
    "MLP: L-BFGS with a little weight decay); how a lag too short to cover a pulse cannot work; and how "
    "much the score moves with the seed. Every score stands beside two baselines: predicting the training "
    "mean (NMSE about 1) and repeating the last value. A model that does not beat the mean says so.\n\n"
    + HONESTY,
)
lab = ui.current()


def model_settings() -> dict:
    """The lag slider and the two models' settings (popovers); returns their configs by name."""
    mlp, lstm = d.MLP, d.LSTM
    lag = ui.persisted(
        st.slider,
        "Lag (past values seen)",
        key="ts_lag",
        default=mlp.lag,
        min_value=1,
        max_value=60,
        help="The MLP's inputs, and the LSTM's sequence length: the same for both.",
    )
    with st.popover("MLP settings", icon=":material/tune:", width="stretch"):
        hidden = ui.persisted(
            st.slider,
            "MLP hidden units",
            key="ts_hidden",
            default=mlp.n_hidden,
            min_value=2,
            max_value=100,
            help="Units of the MLP's one hidden layer (tanh).",
        )
        epochs = ui.persisted(
            st.slider,
            "MLP epochs",
            key="ts_mlp_epochs",
            default=mlp.num_epochs,
            min_value=10,
            max_value=2000,
            step=10,
            help=EPOCH_HELP,
        )
        opt = ui.persisted(
            st.selectbox,
            "MLP optimizer",
            key="ts_mlp_opt",
            options=list(d.OPTIMIZERS),
            default=d.NAME_OF[mlp.optimizer],
        )
        decay = ui.persisted(
            st.select_slider,
            "MLP weight decay",
            key="ts_mlp_decay",
            options=list(d.DECAYS),
            default=mlp.weight_decay,
            help="L2 penalty on the MLP's weights. A little keeps the closed loop from wild swings.",
        )
        rollout = ui.persisted(
            st.slider,
            "MLP: steps fed back in the loss",
            key="ts_mlp_rollout",
            default=mlp.rollout,
            min_value=1,
            max_value=40,
            help="1 = plain one-step training (teacher forcing). k > 1: the loss also scores k steps the "
            "model predicts from its own outputs, which is what the closed-loop forecast does.",
        )
    with st.popover("LSTM settings", icon=":material/tune:", width="stretch"):
        l_hidden = ui.persisted(
            st.slider,
            "LSTM hidden size",
            key="ts_lstm_hidden",
            default=lstm.n_hidden,
            min_value=2,
            max_value=100,
            help="Size of the LSTM's hidden and cell state (each unit has four gates).",
        )
        l_epochs = ui.persisted(
            st.slider,
            "LSTM epochs",
            key="ts_lstm_epochs",
            default=lstm.num_epochs,
            min_value=10,
            max_value=1000,
            step=10,
            help=EPOCH_HELP + " An LSTM epoch costs far more than an MLP one.",
        )
        l_opt = ui.persisted(
            st.selectbox,
            "LSTM optimizer",
            key="ts_lstm_opt",
            options=list(d.OPTIMIZERS),
            default=d.NAME_OF[lstm.optimizer],
        )
        l_rollout = ui.persisted(
            st.slider,
            "LSTM: steps fed back in the loss",
            key="ts_lstm_rollout",
            default=lstm.rollout,
            min_value=1,
            max_value=20,
            help="As for the MLP; each step costs a full pass of the LSTM, so keep it small.",
        )
        layers = ui.persisted(
            st.slider, "LSTM layers", key="ts_lstm_layers", default=lstm.num_layers, min_value=1, max_value=3
        )
    return {
        "MLP": d.model_config(
            "mlp",
            lag=lag,
            n_hidden=hidden,
            num_epochs=epochs,
            optimizer=d.OPTIMIZERS[opt],
            rollout=rollout,
            weight_decay=decay,
        ),
        "LSTM": d.model_config(
            "lstm",
            lag=lag,
            n_hidden=l_hidden,
            num_epochs=l_epochs,
            optimizer=d.OPTIMIZERS[l_opt],
            rollout=l_rollout,
            num_layers=layers,
        ),
    }


@st.fragment
def forecasts() -> None:
    """The main figure: both models' forecasts of points 1,001-1,100 and their scores beside the baselines."""
    split = ui.call(santafe_split)
    left, right = st.columns([1, 3], gap="medium")
    with left:
        specs = {name: d.model_spec(cfg, lab.seed) for name, cfg in model_settings().items()}
        results = {name: ui.train(spec, show_curves=False) for name, spec in specs.items()}
        cmp = ui.call(ex.compare, results)
        for m in cmp.metrics:
            st.metric(m.label, m.value, delta=m.delta, delta_color="inverse", help=m.help)
    with right, ui.main_figure():
        closed, one = st.columns(2)
        with closed:
            ui.show_chart(
                tc.continuation_chart(
                    split, cmp.closed_loop, title="Closed loop: fed its own predictions", height=250
                )
            )
        with one:
            ui.show_chart(
                tc.continuation_chart(split, cmp.one_step, title="One step: fed the TRUE past", height=250)
            )
        st.dataframe(cmp.table, width="stretch")
    for message in cmp.verdicts:
        st.warning(message)
    st.caption(
        "MSE in squared intensity units; NMSE = MSE / variance of points 1,001-1,100 "
        f"({cmp.truth_var:.0f}). 'training s' is how long training took when it ran (it may have been "
        "loaded from the model store). Both models start from seeded random weights (sidebar seed). "
        "Learning rate: " + ", ".join(f"{name} {d.LR[opt]:g}" for name, opt in d.OPTIMIZERS.items()) + "."
    )
    for col, (name, spec) in zip(st.columns(len(specs)), specs.items(), strict=True):
        with col:
            ui.learning_curves(results[name], spec)


tabs = st.tabs(
    ["Forecasts", "Series", "Seeds", "Grid search"], on_change="rerun", key="ts_tab", bind="query-params"
)
if tabs[0].open:
    with tabs[0]:
        forecasts()

if tabs[1].open:
    with tabs[1]:
        split = ui.call(santafe_split)
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
            f"each scored on the closed-loop forecast of points 1,001-1,100. {HONESTY}"
        )
        left, right = st.columns([1, 3], gap="medium")
        with left:
            cfgs = model_settings()
        with right:
            if ex.all_stored(cfgs):
                studies = ui.call(ex.seed_studies, cfgs, lab.device, progress=f"Scoring {n} seeds per model")
            else:
                st.info(
                    "These settings are not trained for every seed yet. The default settings are "
                    "(python -m annlab warm); other settings train here, which takes a while."
                )
                studies = ui.on_demand(
                    f"Train {n} seeds per model",
                    ex.seed_studies,
                    cfgs,
                    lab.device,
                    key="ts_seed",
                    progress=True,
                )
            for col, (name, study) in zip(st.columns(2), (studies or {}).items(), strict=False):
                with col:
                    st.metric(
                        f"{name}: closed-loop NMSE over {n} seeds",
                        f"{study.mean:.3f} ± {study.std:.3f}",
                        help="mean ± standard deviation over the seeds",
                    )
                    ui.show_chart(tc.seed_chart(study.rows, study.mean_baseline, height=220))
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
        g1, g2, g3, g4 = st.columns(4)
        model = ui.persisted(
            g1.selectbox, "Model", key="ts_grid_model", default=d.GRID_MODEL, options=["MLP", "LSTM"]
        )
        epochs = ui.persisted(
            g2.slider,
            "Epochs per fit",
            key="ts_grid_epochs",
            default=d.GRID_EPOCHS,
            min_value=20,
            max_value=1000,
            step=20,
            help="Kept small: the grid fits many models.",
        )
        folds = ui.persisted(
            g3.slider, "Folds", key="ts_folds", default=d.GRID_FOLDS, min_value=1, max_value=8
        )
        val_size = ui.persisted(
            g4.slider,
            "Validation size (points)",
            key="ts_val_size",
            default=d.GRID_VAL_SIZE,
            min_value=20,
            max_value=300,
            step=10,
        )
        base, (lags, hiddens) = d.grid_config(model, epochs), d.grid_axes()
        problem = ex.folds_problem(folds, val_size, lags)
        grid = None
        if problem:
            st.error(problem)
        else:
            grid = ui.on_demand(
                f"Run the grid ({len(lags)} lags x {len(hiddens)} sizes x {folds} folds = "
                f"{len(lags) * len(hiddens) * folds} fits)",
                ex.run_grid,
                base,
                lags=lags,
                hidden=hiddens,
                n_folds=folds,
                val_size=val_size,
                device=lab.device,
                seed=lab.seed,
                key="ts_grid",
                progress=True,
            )
        if grid is not None:
            st.caption(
                f"The grid took {grid.seconds:.1f} s on {grid.device} ({grid.fits} fits of "
                f"{grid.base.num_epochs} epochs)."
            )
            if grid.errors:
                st.warning(f"{len(grid.errors)} cell(s) could not be scored: {grid.errors[0]}")
        if grid is not None and grid.best is not None:
            cell, sentence = grid.pick(st.session_state.get("ts_grid_chart"))
            ui.show_chart(
                tc.grid_chart(grid.rows, selected=cell),
                on_select="rerun",
                key="ts_grid_chart",
                selection_mode="cell",
            )
            st.markdown(sentence)
            res = ui.train(d.cell_spec(grid.base, *cell, lab.seed))
            if not res.diverged:
                report = ui.call(ex.cell_report, res, grid.cv(cell))
                st.markdown(report.text)
                curves = {"closed loop": report.forecast.iterated, "one step": report.forecast.one_step}
                title = f"{grid.base.model.upper()}, lag {cell[0]}, {cell[1]} hidden units"
                ui.show_chart(tc.continuation_chart(ui.call(santafe_split), curves, title=title))
