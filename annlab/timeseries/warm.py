"""``python -m annlab warm``: train the time-series page's default MLP and LSTM for seeds 0-4."""

from __future__ import annotations

from annlab.timeseries.data import santafe_split
from annlab.timeseries.experiments import SEEDS, train_stored, warm_configs
from annlab.warm import register_warm


@register_warm("Time series")
def _warm(device: str, epochs: int | None, report) -> None:
    split = santafe_split()
    for cfg in warm_configs(epochs):
        for seed in SEEDS:
            result = train_stored(cfg, split, device=device, seed=seed)
            seconds = result.extra.get("train_s", 0.0)
            how = "from the store" if result.from_cache else f"trained in {seconds:.1f} s"
            report(f"{cfg.model.upper()} lag {cfg.lag}, {cfg.hidden} hidden, seed {seed}: {how}")
