"""Our torch RBM against scikit-learn's BernoulliRBM on binarised MNIST-5k; the page's inpainting; DBM time.

Speed at equal or better held-out pseudo-likelihood: scikit-learn's BernoulliRBM runs on its usual
settings (100 hidden units, PCD-1, learning rate 0.05 on the mean mini-batch gradient, batch 20, 20
epochs); ours may use any settings that reach its pseudo-likelihood, and uses :data:`OURS` (more hidden
units, CD-1 with momentum, 3 epochs). Both on the same float32 binarised training digits, one thread
each. Both pseudo-likelihoods are computed by scikit-learn's own ``score_samples`` (ours through a
BernoulliRBM holding our weights) on the same 1,000 held-out digits with the same flipped bits, averaged
over 10 draws of the flipped bits. Our time includes the per-epoch held-out monitoring (pseudo-likelihood,
reconstruction error, free-energy gap) that scikit-learn does not do.

Inpainting uses the page's default RBM (``annlab.boltzmann.defaults.RBM``, chosen on validation digits by
``bench/rbm_select.py``), its default number of Gibbs steps and of chains per digit, on all 1,000 test
digits: ``inpaint_label_acc`` is how often the page's clean-digit classifier labels a digit right after
its 6 middle rows are erased and filled in, ``mean_fill_label_acc`` the same after filling them with the
mean training image, ``label_acc_by_rows`` both for 1 ... 10 rows.

Run: ``.venv/bin/python bench/rbm.py`` (``BENCH_DBM=0`` skips the DBM timing). The last line is one JSON
object.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# One BLAS/OpenMP thread for both libraries by default: on a 2-core machine shared with other work,
# torch's OpenMP threads oversubscribe badly. Set OMP_NUM_THREADS=2 to compare with two threads each.
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.neural_network import BernoulliRBM  # noqa: E402

from annlab.boltzmann import dbm, defaults, rbm  # noqa: E402
from annlab.boltzmann import inpaint as ip  # noqa: E402

SKLEARN = dict(n_components=100, learning_rate=0.05, batch_size=20, n_iter=20)
OURS = rbm.RBMConfig(n_hidden=256, lr=0.03, num_epochs=3, batch_size=20, k=1, method="cd", momentum=0.9)
N_FLIPS = 10  # draws of the flipped bits for the pseudo-likelihood
ROWS = range(1, 11)


def sklearn_pll(components, b_h, b_v, X) -> float:
    """Mean of BernoulliRBM.score_samples over N_FLIPS seeded draws of the flipped bits."""
    sk = BernoulliRBM(n_components=components.shape[0])
    sk.components_ = np.asarray(components, np.float64)
    sk.intercept_hidden_ = np.asarray(b_h, np.float64)
    sk.intercept_visible_ = np.asarray(b_v, np.float64)
    sk.n_features_in_ = components.shape[1]
    X = np.asarray(X, np.float64)
    scores = []
    for r in range(N_FLIPS):
        sk.random_state = r
        scores.append(sk.score_samples(X).mean())
    return float(np.mean(scores))


def label_accuracy(model, Xte, yte, Xtr, n_rows: int, steps: int, clf) -> tuple[float, float]:
    """(RBM fill, mean-image fill) label accuracy with ``n_rows`` middle rows erased."""
    missing = ip.row_mask(28, *ip.centred_rows(28, n_rows))
    filled = ip.inpaint(model, Xte, missing, steps, seed=0, n_chains=defaults.N_CHAINS)
    base = ip.mean_fill(Xte, missing, Xtr.mean(0))
    return float((clf.predict(filled) == yte).mean()), float((clf.predict(base) == yte).mean())


def main() -> dict:
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    split, _ = rbm.binary_digits("mnist", 0)
    Xtr, Xte, yte = np.array(split.X_train), np.array(split.X_test), split.y_test
    print(f"data: {split.source}, threads: {torch.get_num_threads()}", file=sys.stderr)

    start = time.perf_counter()
    sk = BernoulliRBM(random_state=0, **SKLEARN).fit(Xtr)
    sklearn_s = time.perf_counter() - start
    start = time.perf_counter()
    ours = rbm.train_rbm(OURS, (Xtr, Xte), device="cpu", seed=0)
    ours_s = time.perf_counter() - start
    m = ours.model
    ours_pll = sklearn_pll(m.W.numpy(), m.b_h.numpy(), m.b_v.numpy(), Xte)
    sk_pll = sklearn_pll(sk.components_, sk.intercept_hidden_, sk.intercept_visible_, Xte)
    print(f"speed: sklearn {SKLEARN} {sklearn_s:.2f} s; ours {OURS} {ours_s:.2f} s", file=sys.stderr)

    start = time.perf_counter()
    page = rbm.train_rbm(defaults.RBM, (Xtr, Xte), device="cpu", seed=0)
    page_s = time.perf_counter() - start
    steps = int(defaults.RECON_STEPS.default)
    clf = ip.digit_classifier("mnist", 0)
    by_rows = {}
    for n_rows in ROWS:
        acc, base = label_accuracy(page.model, Xte, yte, Xtr, n_rows, steps, clf)
        by_rows[str(n_rows)] = {"rbm": round(acc, 4), "mean": round(base, 4)}
        print(
            f"{n_rows:2d} rows erased: RBM fill {acc:.3f}, mean fill {base:.3f}", file=sys.stderr, flush=True
        )
    print(
        f"context: page RBM {defaults.RBM} trained in {page_s:.1f} s, {steps} Gibbs steps, "
        f"{defaults.N_CHAINS} chain(s) per digit; classifier on "
        f"clean test digits {(clf.predict(Xte) == yte).mean():.3f}",
        file=sys.stderr,
    )
    out = {
        "ours_s": round(ours_s, 3),
        "sklearn_s": round(sklearn_s, 3),
        "ours_pseudo_ll": round(ours_pll, 3),
        "sklearn_pseudo_ll": round(sk_pll, 3),
        "speedup": round(sklearn_s / ours_s, 2),
        "inpaint_label_acc": by_rows["6"]["rbm"],
        "mean_fill_label_acc": by_rows["6"]["mean"],
        "label_acc_by_rows": by_rows,
        "rbm_beats_mean_every_band": all(v["rbm"] > v["mean"] for v in by_rows.values()),
        "page_rbm_train_s": round(page_s, 2),
        "torch_threads": torch.get_num_threads(),
    }
    if os.environ.get("BENCH_DBM", "1") != "0":
        start = time.perf_counter()
        d = dbm.train_dbm(defaults.DBM, (Xtr, Xte), device="cpu", seed=0)
        out["dbm_train_s"] = round(time.perf_counter() - start, 3)
        print(
            f"context: DBM held-out reconstruction error {d.history[-1]['recon_error']:.4f}", file=sys.stderr
        )
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
