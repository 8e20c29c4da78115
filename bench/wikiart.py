"""WikiArt bench on the built-in painted set: remedies against imbalance, autoencoder clustering, timings.

Run: ``.venv/bin/python bench/wikiart.py`` (uses a fresh temporary cache, 2 torch threads). The last
line is one JSON object: ``majority_baseline``; ``acc``, ``balanced_acc``, ``macro_f1`` and
``minority_recall`` (mean test recall of the 3 smallest styles) as dicts remedy -> value; ``ae_ari``,
``ae_nmi``, ``silhouette`` of k-means on the autoencoder's codes; ``train_s`` (default CNN training,
remedy "none"); ``load_s_cold`` (paint + cache) and ``load_s_warm`` (from the disk cache).
"""

from __future__ import annotations

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
from annlab.wikiart import defaults  # noqa: E402
from annlab.wikiart.defaults import REMEDIES, with_remedy  # noqa: E402
from annlab.wikiart.train import train_ae, train_cnn  # noqa: E402


def main() -> dict:
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    seed = 0
    t0 = time.perf_counter()
    art = artdata.synthetic_set(32, seed)
    load_cold = time.perf_counter() - t0
    artdata.synthetic_set.cache_clear()  # next call reads the disk cache, as a new process would
    t0 = time.perf_counter()
    art = artdata.synthetic_set(32, seed)
    load_warm = time.perf_counter() - t0

    smallest3 = np.argsort(art.counts("train"), kind="stable")[:3]
    out = {"majority_baseline": None, "acc": {}, "balanced_acc": {}, "macro_f1": {}, "minority_recall": {}}
    train_s = None
    base = defaults.cnn(art)
    for name in REMEDIES:
        t0 = time.perf_counter()
        r = train_cnn(with_remedy(base, name), art, seed=seed)
        elapsed = time.perf_counter() - t0
        if name == "none":
            train_s = elapsed
        t = r.extra["test"]
        out["majority_baseline"] = round(t["majority_baseline"], 4)
        out["acc"][name] = round(t["acc"], 4)
        out["balanced_acc"][name] = round(t["balanced_acc"], 4)
        out["macro_f1"][name] = round(t["macro_f1"], 4)
        out["minority_recall"][name] = round(float(np.mean([t["recall"][i] for i in smallest3])), 4)
        print(
            f"{name:>22}: {elapsed:6.1f} s, {len(r.history)} epochs, acc {t['acc']:.3f}, "
            f"balanced {t['balanced_acc']:.3f}, macro-F1 {t['macro_f1']:.3f}, "
            f"minority recall {out['minority_recall'][name]:.3f}",
            flush=True,
        )
    t0 = time.perf_counter()
    ae = train_ae(defaults.ae(art), art, seed=seed)
    print(f"autoencoder: {time.perf_counter() - t0:.1f} s, last epoch {ae.history[-1]}", flush=True)
    out.update(
        {
            "ae_ari": round(ae.history[-1]["ari"], 4),
            "ae_nmi": round(ae.history[-1]["nmi"], 4),
            "silhouette": round(ae.extra.get("silhouette", float("nan")), 4),
            "train_s": round(train_s, 2),
            "load_s_cold": round(load_cold, 3),
            "load_s_warm": round(load_warm, 4),
        }
    )
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
