"""WikiArt bench on the built-in painted set: remedies against imbalance, autoencoder clustering, timings.

Run: ``OMP_NUM_THREADS=1 nice .venv/bin/python bench/wikiart.py`` (a fresh temporary cache,
``BENCH_THREADS`` torch threads, default 1; ``BENCH_SEEDS`` seeds per remedy, default the page's 3,
seeds 0, 1, 2: the page's, never used by ``bench/wikiart_select.py``). ``--epochs N`` caps every network's
epochs at N (the page's default CNN trains up to 30 with early stopping, 8 remedies times 3 seeds: about
an hour on a busy 2-core machine); ``--seeds N`` overrides ``BENCH_SEEDS``. The JSON says what ran
(``max_epochs``, ``seeds``). The last line is one JSON object:
``majority_baseline``; ``acc``, ``balanced_acc``, ``macro_f1`` and ``minority_recall`` (mean test recall
of the 3 smallest styles) as dicts remedy -> mean over the seeds; ``remedy_spread`` remedy -> standard
deviation of the balanced accuracy over the seeds; ``focal_alpha_effect``, the difference of the focal
loss on one batch of the untrained network between alpha strength 0 and 1 (it must be > 0: alpha is no
longer divided away); ``ae_ari``, ``ae_nmi``, ``silhouette`` of k-means on the autoencoder's codes and
``kmeans_baselines`` (k-means on the test pictures' raw pixels and on 32 PCA components: ``ari``, ``nmi``);
``train_s`` (default CNN training, remedy "none", first seed); ``load_s_cold`` (paint + cache) and
``load_s_warm`` (from the disk cache).

Issue 34's keys: ``untreated`` (the network without remedies: ``acc``, ``balanced_acc``,
``rare3_recall`` and ``rare3_recall_se``, its binomial standard error over the rare styles' test
pictures, each the mean over the seeds; ``rare3_recall_sd_seeds`` the spread between seeds);
``remedy_rare3``: remedy -> ``delta`` (mean over seeds of its rare-3 recall minus the untreated one,
paired by seed) and ``ci95`` (half-width of the 95 % interval of
:func:`annlab.wikiart.experiments.effect_ci`); ``prior`` (the prior correction of the untreated
network with alpha chosen on validation: alphas per seed and mean test scores); ``alpha_chosen_on``;
``defaults_are_the_choice`` (the difficulty level and CNN defaults equal ``selection.json``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ANNLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="annlab-bench-wikiart-")
os.environ.pop("ANNLAB_FAST", None)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from annlab.wikiart import data as artdata  # noqa: E402
from annlab.wikiart import defaults, experiments, synthetic  # noqa: E402
from annlab.wikiart.defaults import REMEDIES, with_remedy  # noqa: E402
from annlab.wikiart.losses import focal_alpha, focal_loss  # noqa: E402
from annlab.wikiart.models import CNNConfig, StyleCNN  # noqa: E402
from annlab.wikiart.train import to_tensor, train_ae, train_cnn  # noqa: E402


def focal_alpha_effect(art, seed: int = 0) -> float:
    """|focal loss(strength 0) - focal loss(strength 1)| on the first 256 training pictures, untrained CNN."""
    cfg = defaults.cnn(art)
    model = StyleCNN(cfg)
    x, y = to_tensor(art.X_train[:256]), torch.from_numpy(np.array(art.y_train[:256]))
    with torch.no_grad():
        logits = model(x)
    losses = [
        float(focal_loss(logits, y, alpha=torch.from_numpy(focal_alpha(art.y_train, art.n_classes, s))))
        for s in (0.0, 1.0)
    ]
    return abs(losses[0] - losses[1])


def defaults_are_the_choice() -> bool:
    """The built-in set's difficulty level and the CNN defaults equal the recorded selection."""
    record = json.loads((Path(synthetic.__file__).with_name("selection.json")).read_text())
    chosen, base = record["cnn"]["chosen"], CNNConfig()
    return (
        synthetic.LEVEL == record["difficulty"]["level"]
        and list(base.channels) == chosen["channels"]
        and base.lr == chosen["lr"]
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="cap on every network's epochs")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per remedy")
    args = parser.parse_args(argv)
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    seed = 0
    t0 = time.perf_counter()
    art = artdata.synthetic_set(32, seed)
    load_cold = time.perf_counter() - t0
    artdata.synthetic_set.cache_clear()  # next call reads the disk cache, as a new process would
    t0 = time.perf_counter()
    art = artdata.synthetic_set(32, seed)
    load_warm = time.perf_counter() - t0
    n_seeds = args.seeds or int(os.environ.get("BENCH_SEEDS", defaults.REMEDY_SEEDS))
    print(f"data: {art.source}, train {art.counts('train')}, test {art.counts('test')}", flush=True)

    smallest3 = np.argsort(art.counts("train"), kind="stable")[:3]
    out = {"majority_baseline": None, "acc": {}, "balanced_acc": {}, "macro_f1": {}, "minority_recall": {}}
    spread, train_s, rare3, rare3_se, prior = {}, None, {}, {}, []
    base = defaults.cnn(art)
    if args.epochs:
        base = dataclasses.replace(base, num_epochs=min(base.num_epochs, args.epochs))
    for name in REMEDIES:
        rows = []
        for s in range(seed, seed + n_seeds):
            t0 = time.perf_counter()
            r = train_cnn(with_remedy(base, name), art, seed=s)
            elapsed = time.perf_counter() - t0
            if name == "none" and s == seed:
                train_s = elapsed
            t = r.extra["test"]
            sc = experiments.Scores.from_metrics(t, smallest3)
            rare3.setdefault(name, []).append(sc.minority_recall)
            rare3_se.setdefault(name, []).append(sc.minority_se)
            if name == "none":  # the prior correction, alpha chosen on validation, test scored once
                val = experiments.validation_probabilities(r, art.X_train, art.y_train, s)
                probs = experiments.cnn_test_probabilities(r, art.X_test)
                choice = experiments.choose_alpha(*val, probs, art.y_test, art.y_train)
                pt = choice.test
                prior.append((choice.alpha, pt.acc, pt.balanced_acc, pt.minority_recall, pt.minority_se))
            out["majority_baseline"] = round(t["majority_baseline"], 4)
            rows.append(
                (
                    t["acc"],
                    t["balanced_acc"],
                    t["macro_f1"],
                    float(np.mean([t["recall"][i] for i in smallest3])),
                )
            )
            print(
                f"{name:>22} seed {s}: {elapsed:6.1f} s, {len(r.history)} epochs, acc {t['acc']:.3f}, "
                f"balanced {t['balanced_acc']:.3f}, macro-F1 {t['macro_f1']:.3f}, minority recall "
                f"{rows[-1][3]:.3f}",
                flush=True,
            )
        mean = np.mean(rows, axis=0)
        for key, value in zip(("acc", "balanced_acc", "macro_f1", "minority_recall"), mean, strict=True):
            out[key][name] = round(float(value), 4)
        spread[name] = round(float(np.std([row[1] for row in rows])), 4)
    t0 = time.perf_counter()
    ae_cfg = defaults.ae(art)
    if args.epochs:
        ae_cfg = dataclasses.replace(ae_cfg, num_epochs=min(ae_cfg.num_epochs, args.epochs))
    ae = train_ae(ae_cfg, art, seed=seed)
    print(f"autoencoder: {time.perf_counter() - t0:.1f} s, last epoch {ae.history[-1]}", flush=True)
    base = experiments.clustering_baselines(art.X_train, art.X_test, art.y_test, art.n_classes, seed)
    kmeans = {row.method: {"ari": round(row.ARI, 4), "nmi": round(row.NMI, 4)} for row in base.itertuples()}
    untreated = {
        "acc": out["acc"]["none"],
        "balanced_acc": out["balanced_acc"]["none"],
        "rare3_recall": round(float(np.mean(rare3["none"])), 4),
        "rare3_recall_se": round(float(np.mean(rare3_se["none"])), 4),
        "rare3_recall_sd_seeds": round(float(np.std(rare3["none"], ddof=1)) if n_seeds > 1 else 0.0, 4),
    }
    remedy_rare3 = {}
    for name in REMEDIES:
        if name == "none":
            continue
        d, half = experiments.effect_ci(rare3[name], rare3["none"], rare3_se[name], rare3_se["none"])
        remedy_rare3[name] = {"delta": round(d, 4), "ci95": round(half, 4)}
    p = np.array(prior)
    out.update(
        {
            "untreated": untreated,
            "remedy_rare3": remedy_rare3,
            "prior": {
                "alphas": [float(a) for a in p[:, 0]],
                "acc": round(float(p[:, 1].mean()), 4),
                "balanced_acc": round(float(p[:, 2].mean()), 4),
                "rare3_recall": round(float(p[:, 3].mean()), 4),
                "rare3_recall_se": round(float(p[:, 4].mean()), 4),
            },
            "alpha_chosen_on": "validation",
            "defaults_are_the_choice": defaults_are_the_choice(),
            "difficulty_level": synthetic.LEVEL,
            "n_test": int(len(art.y_test)),
            "rare3_test_pictures": int(art.counts("test")[smallest3].sum()),
            "remedy_spread": spread,
            "seeds": n_seeds,
            "max_epochs": base.num_epochs,
            "focal_alpha_effect": round(focal_alpha_effect(art), 5),
            "ae_ari": round(ae.history[-1]["ari"], 4),
            "ae_nmi": round(ae.history[-1]["nmi"], 4),
            "silhouette": round(ae.extra.get("silhouette", float("nan")), 4),
            "kmeans_baselines": kmeans,
            "train_s": round(train_s, 2),
            "load_s_cold": round(load_cold, 3),
            "load_s_warm": round(load_warm, 4),
            "torch_threads": torch.get_num_threads(),
        }
    )
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
