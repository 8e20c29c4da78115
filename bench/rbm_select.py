"""How the RBM inpainting page's default RBM and its fill were chosen: on validation digits, never the test.

The issue's goal is the label accuracy of inpainted digits (6 middle rows erased) on the test digits.
This script makes the choice without them: it carves 1,000 validation digits (stratified, seeded) from the
4,000 training digits of MNIST-5k, trains each candidate RBM on the other 3,000, fits the page's kind of
digit classifier (logistic regression, C = 0.05, on clean binarised digits) on the same 3,000, and scores
every candidate inference on the validation digits: label accuracy and squared error on the missing pixels.

Candidates. Training: the old default (200 hidden, PCD-5, lr 0.05 constant, 20 epochs), the same with a
linearly decaying rate, and 400 hidden units with a linearly decaying rate (30 and 50 epochs).
Inference (the page's 100 Gibbs steps, the fill being P(v | h) averaged over the last half):
one sampled chain; the mean of 4 chains per digit; mean-field (the missing pixels carry probabilities,
not samples, and so does the hidden layer: a deterministic fixed-point iteration).

Run: ``OMP_NUM_THREADS=1 .venv/bin/python bench/rbm_select.py``. The last line is one JSON object:
``candidates`` (training -> inference -> {"label_acc", "error"}), ``chosen`` (the best label accuracy),
``mean_fill_label_acc``, ``clean_label_acc`` (validation digits) and ``torch_threads``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from annlab.boltzmann import inpaint as ip  # noqa: E402
from annlab.boltzmann import rbm  # noqa: E402

OLD = rbm.RBMConfig(n_hidden=200, lr=0.05, num_epochs=20, batch_size=20, k=5, method="pcd")
TRAINING = {
    "200 hidden, 20 epochs, constant lr": OLD,
    "200 hidden, 20 epochs, linear lr": dataclasses.replace(OLD, lr_schedule="linear"),
    "400 hidden, 30 epochs, linear lr": dataclasses.replace(
        OLD, n_hidden=400, num_epochs=30, lr_schedule="linear"
    ),
    "400 hidden, 50 epochs, linear lr": dataclasses.replace(
        OLD, n_hidden=400, num_epochs=50, lr_schedule="linear"
    ),
}
STEPS = 100  # the page's default number of Gibbs steps
N_VAL = 1000
N_ROWS = 6


@torch.no_grad()
def mean_field_fill(model: rbm.RBM, X: np.ndarray, missing: np.ndarray, steps: int) -> np.ndarray:
    """Deterministic conditional mean-field: missing pixels start at 0.5, then v <- P(v | P(h | v)) on
    them (known pixels clamped), ``steps`` times. Returns (n, V) float32."""
    v = torch.tensor(np.asarray(X, np.float32))
    miss = torch.as_tensor(np.broadcast_to(missing, v.shape).copy())
    known = v.clone()
    v[miss] = 0.5
    for _ in range(steps):
        v = torch.where(miss, model.p_v(model.p_h(v)), known)
    return v.numpy()


def main() -> dict:
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    split, _ = rbm.binary_digits("mnist", 0)
    Xtr, ytr = np.array(split.X_train), split.y_train
    Xa, Xv, ya, yv = train_test_split(Xtr, ytr, test_size=N_VAL, stratify=ytr, random_state=0)
    clf = LogisticRegression(C=0.05, max_iter=300).fit(Xa, ya)
    missing = ip.row_mask(28, *ip.centred_rows(28, N_ROWS))

    def score(R: np.ndarray) -> dict:
        acc = float((clf.predict(R) == yv).mean())
        return {"label_acc": round(acc, 4), "error": round(float(ip.missing_error(R, Xv, missing).mean()), 4)}

    mean_fill = score(ip.mean_fill(Xv, missing, Xa.mean(0)))["label_acc"]
    clean = float((clf.predict(Xv) == yv).mean())
    print(f"validation: clean {clean:.3f}, mean fill {mean_fill:.3f}", file=sys.stderr, flush=True)
    candidates: dict[str, dict] = {}
    for name, cfg in TRAINING.items():
        t0 = time.perf_counter()
        model = rbm.train_rbm(cfg, (Xa, Xv), seed=0).model
        train_s = time.perf_counter() - t0
        fills = {
            "one chain": ip.inpaint(model, Xv, missing, STEPS, seed=0),
            "mean of 4 chains": ip.inpaint(model, Xv, missing, STEPS, seed=0, n_chains=4),
            "mean-field": mean_field_fill(model, Xv, missing, STEPS),
        }
        candidates[name] = {how: score(R) for how, R in fills.items()}
        print(f"{name} ({train_s:.0f} s): {candidates[name]}", file=sys.stderr, flush=True)
    chosen = max(
        ((t, how) for t, row in candidates.items() for how in row),
        key=lambda c: candidates[c[0]][c[1]]["label_acc"],
    )
    return {
        "candidates": candidates,
        "chosen": {"training": chosen[0], "inference": chosen[1], **candidates[chosen[0]][chosen[1]]},
        "mean_fill_label_acc": round(mean_fill, 4),
        "clean_label_acc": round(clean, 4),
        "n_validation": N_VAL,
        "rows_erased": N_ROWS,
        "gibbs_steps": STEPS,
        "torch_threads": torch.get_num_threads(),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
