"""Our torch RBM against scikit-learn's BernoulliRBM on binarised MNIST-5k; inpainting; DBM training time.

Both RBMs get the same hyperparameters (100 hidden units, PCD-1, the same learning rate on the mean
mini-batch gradient, the same batch size, 20 epochs) and the same float32 binarised training digits.
Both pseudo-likelihoods are computed by scikit-learn's own ``score_samples`` (ours through a
BernoulliRBM holding our weights) on the same held-out digits with the same flipped bits, averaged
over 10 draws of the flipped bits.

Our time includes the per-epoch held-out monitoring (pseudo-likelihood and reconstruction error on
1,000 digits) that scikit-learn does not do.

Run: ``.venv/bin/python bench/rbm.py``. The last line is one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

# One BLAS/OpenMP thread for both libraries by default: on a 2-core machine shared with other work,
# torch's OpenMP threads oversubscribe badly (3 epochs: 0.55 s with 1 thread, 7.3 s with 2 under load).
# Set OMP_NUM_THREADS=2 to compare with two threads each.
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.neural_network import BernoulliRBM  # noqa: E402

from annlab.boltzmann import dbm, rbm  # noqa: E402
from annlab.boltzmann import inpaint as ip  # noqa: E402
from annlab.boltzmann.defaults import DBM as DBM_DEFAULT  # noqa: E402

N_HIDDEN, LR, BATCH, EPOCHS = 100, 0.05, 20, 20
N_FLIPS = 10  # draws of the flipped bits for the pseudo-likelihood
GIBBS_STEPS = 100


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


def main() -> dict:
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    split, _ = rbm.binary_digits("mnist", 0)
    Xtr, Xte, yte = np.array(split.X_train), np.array(split.X_test), split.y_test
    print(f"data: {split.source}, threads: {torch.get_num_threads()}", file=sys.stderr)

    cfg = rbm.RBMConfig(
        dataset="mnist", n_hidden=N_HIDDEN, lr=LR, num_epochs=EPOCHS, batch_size=BATCH, k=1, method="pcd"
    )
    start = time.perf_counter()
    ours = rbm.train_rbm(cfg, (Xtr, Xte), device="cpu", seed=0)
    ours_s = time.perf_counter() - start

    start = time.perf_counter()
    sk = BernoulliRBM(
        n_components=N_HIDDEN, learning_rate=LR, batch_size=BATCH, n_iter=EPOCHS, random_state=0
    ).fit(Xtr)
    sklearn_s = time.perf_counter() - start

    m = ours.model
    ours_pll = sklearn_pll(m.W.numpy(), m.b_h.numpy(), m.b_v.numpy(), Xte)
    sk_pll = sklearn_pll(sk.components_, sk.intercept_hidden_, sk.intercept_visible_, Xte)

    side = split.side
    err_by_rows, base_by_rows = {}, {}
    for n_rows in (2, 4, 6, 8, 10, 12, 14):
        missing = ip.row_mask(side, *ip.centred_rows(side, n_rows))
        R = ip.inpaint(m, Xte, missing, GIBBS_STEPS, seed=0)
        err_by_rows[str(n_rows)] = round(float(ip.missing_error(R, Xte, missing).mean()), 5)
        base = ip.mean_fill(Xte, missing, Xtr.mean(0))
        base_by_rows[str(n_rows)] = round(float(ip.missing_error(base, Xte, missing).mean()), 5)
    clf = ip.digit_classifier("mnist", 0)
    missing6 = ip.row_mask(side, *ip.centred_rows(side, 6))
    R6 = ip.inpaint(m, Xte, missing6, GIBBS_STEPS, seed=0)
    label_acc = float((clf.predict(R6) == yte).mean())
    print(
        f"context: classifier on clean test digits {(clf.predict(Xte) == yte).mean():.3f}, on digits with "
        f"6 middle rows erased {(clf.predict(np.where(missing6, 0.0, Xte)) == yte).mean():.3f}, after "
        f"mean-image fill {(clf.predict(ip.mean_fill(Xte, missing6, Xtr.mean(0))) == yte).mean():.3f}; "
        f"mean-image fill error by rows {base_by_rows}",
        file=sys.stderr,
    )

    start = time.perf_counter()
    d = dbm.train_dbm(DBM_DEFAULT, (Xtr, Xte), device="cpu", seed=0)
    dbm_train_s = time.perf_counter() - start
    print(
        f"context: DBM {DBM_DEFAULT}, held-out reconstruction error {d.history[-1]['recon_error']:.4f} "
        f"(RBM {ours.history[-1]['recon_error']:.4f})",
        file=sys.stderr,
    )

    return {
        "ours_s": round(ours_s, 3),
        "sklearn_s": round(sklearn_s, 3),
        "ours_pseudo_ll": round(ours_pll, 3),
        "sklearn_pseudo_ll": round(sk_pll, 3),
        "inpaint_err_by_rows": err_by_rows,
        "inpaint_label_acc": round(label_acc, 4),
        "dbm_train_s": round(dbm_train_s, 3),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
