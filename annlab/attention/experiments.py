"""What the Attention page computes: plain functions returning dataclasses, arrays and tables.

No Streamlit here; the view calls these through ``annlab.ui.call`` (cached per arguments).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch

from annlab import jobs
from annlab.attention import selfattention as sa
from annlab.attention import vit as vm
from annlab.attention.defaults import DIGIT_PATCH, SOURCES, ToySetup, digit_data, held_out_digits, vit_spec
from annlab.data import mnist
from annlab.training import TrainResult

STAGES = ("Q", "K", "V", "scores", "weights", "heads")
DK_SWEEP = (1, 2, 4, 8, 16, 32, 64, 128)
LEAD = (
    "Every token asks a **query**, offers a **key** and hands on a **value**: attention mixes the values "
    "by how well each query matches each key."
)
LOOK_FOR = (
    "(1) Each softmax row sums to 1: a token's output is a weighted mean of all values. (2) Switch the "
    "scaling off and raise d_k: the scores spread out and every row puts nearly all its weight on one "
    "token. (3) NumPy, torch and PyTorch's own attention agree to about 1e-15 (float64 rounding). (4) A "
    "ViT on the MNIST-5k training digits: watch the gap between training and validation accuracy, and "
    "where the CLS token looks in each head."
)
QKV_TEXT = """**What Q, K and V are.** A token's **query** (a row of Q, d_k numbers) says what it is looking
for; its **key** (d_k numbers) says what it offers to be found by; its **value** (d_v numbers) is what
it hands on when found. Query and key must have the same size, since the score of token i for token j
is their dot product: Q K^T is n x n, one row per query. Softmax makes each row weights that sum to 1,
and the output row i = sum over j of weight(i, j) times value j: n x d_v per head, whatever d_model is.
Without the 1/sqrt(d_k) the dot product of d_k random terms spreads like sqrt(d_k): the softmax then
picks one token per row and its gradients vanish."""
TABLE_FORMAT = {  # how the page writes the comparison and grid tables
    "test accuracy": "{:.3f}",
    "train accuracy": "{:.3f}",
    "validation accuracy": "{:.3f}",
    "validation ± std. error": "{:.3f}",
    "± std. error": "{:.3f}",
    "training seconds": "{:.0f}",
    "seconds": "{:.0f}",
}
COMPARISON_NOTE = (
    "All three learnt from the same {n_fit:,} MNIST-5k training digits, were watched per epoch on the same "
    "{n_val:,} validation digits carved from the training split, and are scored here once, after training, "
    "on the same {n_test:,} held-out test digits; the standard error is sqrt(p (1 - p) / {n_test}). "
    "Training seconds are as measured when each model was trained (on whichever machine trained it), "
    "evaluation after each epoch included for the ViT and the dense network."
)
GRID_TEXT = """The report (001, section 3.3) varied **dim, depth, heads and mlp_dim** of a ViT with 7 x 7
patches and got 0.983 test accuracy for its base (dim 64, depth 6, heads 8, mlp_dim 128) after 20
epochs on 60,000 digits. Here the same seven designs learn from 3,600 digits with this page's recipe
(AdamW, warm-up and cosine decay, shift augmentation, label smoothing) and are compared on 400
validation digits carved from the training split (the test digits, scored once, are in the table): does
a bigger ViT help when the data are few?"""

# --- self-attention, step by step ------------------------------------------------------------------


@dataclass
class Steps:
    """Every stage of one multi-head self-attention, computed in NumPy and in torch.

    Attributes
    ----------
    setup : the toy setup (after the token source fixed n and d_model)
    X : (n, d_model) tokens
    W : projections W_Q, W_K (heads, d_model, d_k), W_V (heads, d_model, d_v), W_O (heads*d_v, d_model)
    numpy, torch : the stages of :func:`~annlab.attention.selfattention.attention_numpy` (torch's as arrays)
    diffs : largest absolute differences, NumPy vs torch (all stages), NumPy vs SDPA, torch vs SDPA
    row_sum_error : largest |sum of a softmax row - 1|
    row_max : mean largest weight per softmax row (1 = every row put all its weight on one token)
    tokens : token names
    """

    setup: ToySetup
    X: np.ndarray
    W: dict
    numpy: dict
    torch: dict
    diffs: dict
    row_sum_error: float
    row_max: float
    tokens: list

    def panels(self, head: int) -> dict[str, list[tuple[np.ndarray, str, dict]]]:
        """The matrices the page draws for ``head`` (1-based), by row: ``main`` (scores and weights),
        ``projections`` (X, Q, K, V) and ``outputs`` (A V, the heads concatenated, the output); each
        entry is (matrix, title, options for ``charts.matrix``)."""
        h, s, st = head - 1, self.setup, self.numpy
        keys = dict(rows=self.tokens, cols=self.tokens, row_title="query token", col_title="key token")
        feat = dict(rows=self.tokens, col_title="feature")
        sc = "Q K^T / sqrt(d_k)" if s.scaled else "Q K^T (not scaled)"
        return {
            "main": [
                (st["scores"][h], f"Scores {sc}, head {head}", keys),
                (st["weights"][h], f"Softmax rows (sum 1), head {head}", dict(keys, weights=True)),
            ],
            "projections": [
                (self.X, "X, the tokens", feat),
                *((st[k][h], f"{k} = X W_{k}, head {head}", feat) for k in ("Q", "K", "V")),
            ],
            "outputs": [
                (st["heads"][h], f"A V, head {head}", feat),
                (st["concat"], f"{s.heads} heads concatenated", feat),
                (st["out"], "Output = concat W_O", feat),
            ],
        }

    def shapes(self) -> pd.DataFrame:
        """Every matrix with its shape, in words and numbers."""
        s, h = self.setup, self.setup.heads
        rows = [
            ("X", "tokens", f"n x d_model = {s.n} x {s.d_model}"),
            ("W_Q, W_K", "query / key projection, per head", f"d_model x d_k = {s.d_model} x {s.d_k}"),
            ("W_V", "value projection, per head", f"d_model x d_v = {s.d_model} x {s.d_v}"),
            ("Q = X W_Q, K = X W_K", "what each token looks for / offers", f"n x d_k = {s.n} x {s.d_k}"),
            ("V = X W_V", "what each token hands on", f"n x d_v = {s.n} x {s.d_v}"),
            (
                "Q K^T" + (" / sqrt(d_k)" if s.scaled else ""),
                "scores: query i vs key j",
                f"n x n = {s.n} x {s.n}",
            ),
            ("softmax rows", "attention weights, rows sum to 1", f"n x n = {s.n} x {s.n}"),
            ("A V", "output of one head", f"n x d_v = {s.n} x {s.d_v}"),
            ("concat", f"the {h} heads side by side", f"n x heads*d_v = {s.n} x {h * s.d_v}"),
            ("W_O", "mixes the heads back", f"heads*d_v x d_model = {h * s.d_v} x {s.d_model}"),
            ("output", "one new vector per token", f"n x d_model = {s.n} x {s.d_model}"),
        ]
        return pd.DataFrame(rows, columns=["matrix", "what it is", "shape"])


def toy_tokens(setup: ToySetup) -> tuple[ToySetup, np.ndarray, list[str]]:
    """The tokens of ``setup``: seeded N(0, 1) features, or the 7x7 patches of a test digit (16 tokens
    of 49 pixels, so ``n`` and ``d_model`` follow the digit). Returns the setup with its real n and
    d_model, X (n, d_model) and the token names."""
    if setup.source == SOURCES[1]:
        X_test = mnist().X_test
        digit = X_test[int(setup.digit) % len(X_test)]
        X = vm.patchify(torch.as_tensor(np.array(digit)[None]), DIGIT_PATCH)[0].numpy().astype(np.float64)
        g = vm.SIDE // DIGIT_PATCH
        names = [f"p{r + 1},{c + 1}" for r in range(g) for c in range(g)]
        return replace(setup, n=len(X), d_model=X.shape[1]), X, names
    X = np.random.default_rng(setup.seed).normal(size=(setup.n, setup.d_model))
    return setup, X, [f"t{i + 1}" for i in range(setup.n)]


def step_by_step(setup: ToySetup) -> Steps:
    """Run the toy attention in NumPy, in torch and through ``scaled_dot_product_attention``."""
    setup, X, names = toy_tokens(setup)
    W = sa.random_weights(setup.d_model, setup.d_k, setup.d_v, setup.heads, seed=setup.seed + 1)
    kw = dict(causal=setup.causal, scaled=setup.scaled)
    ours = sa.attention_numpy(X, **W, **kw)
    theirs = {k: v.numpy() for k, v in sa.attention_torch(X, **W, **kw).items()}
    ref = sa.attention_sdpa(X, **W, **kw).numpy()
    diffs = {
        "NumPy vs torch (every stage)": max(sa.max_abs_diff(ours[k], theirs[k]) for k in ours),
        "NumPy vs scaled_dot_product_attention": sa.max_abs_diff(ours["out"], ref),
        "torch vs scaled_dot_product_attention": sa.max_abs_diff(theirs["out"], ref),
    }
    weights = ours["weights"]
    return Steps(
        setup,
        X,
        W,
        ours,
        theirs,
        diffs,
        float(np.abs(weights.sum(-1) - 1).max()),
        float(weights.max(-1).mean()),
        names,
    )


def saturation_curve(setup: ToySetup) -> pd.DataFrame:
    """Mean largest softmax weight per row against d_k, with and without the 1/sqrt(d_k) scaling.

    Same tokens as ``setup``; fresh seeded projections for each d_k. Columns ``d_k``, ``scaling``,
    ``row_max`` and ``score_std`` (the spread of the scores).
    """
    setup, X, _ = toy_tokens(setup)
    rows = []
    for d_k in DK_SWEEP:
        W = sa.random_weights(setup.d_model, d_k, setup.d_v, setup.heads, seed=setup.seed + 1)
        for scaled in (True, False):
            st = sa.attention_numpy(X, **W, causal=False, scaled=scaled)
            rows.append(
                {
                    "d_k": d_k,
                    "scaling": "scores / sqrt(d_k)" if scaled else "no scaling",
                    "row_max": float(st["weights"].max(-1).mean()),
                    "score_std": float(st["scores"].std()),
                }
            )
    return pd.DataFrame(rows)


def code_listing() -> tuple[str, str]:
    """The source of the NumPy and the torch versions, as shown on the page (the code that ran)."""
    return inspect.getsource(sa.attention_numpy), inspect.getsource(sa.attention_torch)


# --- the ViT -------------------------------------------------------------------------------------------


def parameter_table(cfg: vm.ViTConfig) -> pd.DataFrame:
    """Parameters per part of the ViT of ``cfg``, and the total (as torch counts them)."""
    model = vm.build(cfg)
    parts = vm.parts(model)
    total = sum(p.numel() for p in model.parameters())
    return pd.DataFrame({"part": [*parts, "total"], "parameters": [*parts.values(), total]})


def accuracy_table(result: TrainResult) -> pd.DataFrame:
    """Training and validation accuracy per epoch, long format (``epoch``, ``set``, ``accuracy``); the
    validation digits are carved from the training split (the test digits are scored once, elsewhere)."""
    df = pd.DataFrame(result.history)
    long = df.melt(
        id_vars="epoch", value_vars=["train_acc", "val_acc"], var_name="set", value_name="accuracy"
    )
    long["set"] = long["set"].map(
        {"train_acc": "training digits", "val_acc": "validation digits (from the training split)"}
    )
    return long


def comparison_note(seed: int = 0) -> str:
    """:data:`COMPARISON_NOTE` with the page's digit counts."""
    X_fit, _, X_val, _, X_test, _ = digit_data(seed)
    return COMPARISON_NOTE.format(n_fit=len(X_fit), n_val=len(X_val), n_test=len(X_test))


def binomial_se(acc: float, n: int) -> float:
    """Standard error of an accuracy measured on ``n`` independent test digits."""
    return math.sqrt(max(acc * (1 - acc), 0.0) / n)


def _seconds(result: TrainResult) -> float:
    if "train_seconds" in result.extra:
        return float(result.extra["train_seconds"])
    return float(result.history[-1].get("seconds", float("nan"))) if result.history else float("nan")


def comparison(vit: TrainResult, cnn: TrainResult | None, dense: TrainResult, seed: int = 0) -> pd.DataFrame:
    """Test accuracy (with its binomial standard error), parameters and training seconds of the ViT, the
    Convolutions page's default CNN and the dense baseline, all on the same held-out test digits (scored
    here, once, after training)."""
    X_test, y_test = held_out_digits(seed)
    rows = []
    for name, res in (
        ("ViT (this page)", vit),
        ("CNN (Convolutions page default)", cnn),
        ("dense network", dense),
    ):
        if res is None:
            continue
        if name.startswith("CNN"):
            from annlab.cnn.experiments import predict_proba

            proba = predict_proba(res, X_test)
        else:
            proba = vm.predict_proba(res.model, X_test)
        acc = float((proba.argmax(1) == y_test).mean())
        rows.append(
            {
                "network": name,
                "parameters": sum(p.numel() for p in res.model.parameters()),
                "epochs": len(res.history),
                "test accuracy": acc,
                "± std. error": binomial_se(acc, len(y_test)),
                "training seconds": _seconds(res),
            }
        )
    return pd.DataFrame(rows)


@dataclass
class Inside:
    """What a trained ViT does with one digit.

    Attributes
    ----------
    digit : (28, 28) the input
    proba : (10,) class probabilities
    attention : (depth, heads, n+1, n+1) attention weights of every layer and head (token 0 is CLS)
    cls_maps : (depth, heads, g, g) the CLS token's attention over the patches
    rollout : (g, g) attention rollout (heads averaged, residual added, layers multiplied), CLS row
    patch : patch side
    """

    digit: np.ndarray
    proba: np.ndarray
    attention: np.ndarray
    cls_maps: np.ndarray
    rollout: np.ndarray
    patch: int

    @property
    def prediction(self) -> int:
        return int(self.proba.argmax())

    def overlays(self) -> np.ndarray:
        """Every layer's and head's CLS map on the digit, RGB, (depth * heads, 28, 28, 3), layer by layer."""
        maps = self.cls_maps.reshape(-1, *self.cls_maps.shape[2:])
        return np.stack([overlay(self.digit, m) for m in maps])


def rollout(attention: np.ndarray) -> np.ndarray:
    """Attention rollout (Abnar & Zuidema 2020): (depth, heads, t, t) -> (t, t).

    Heads are averaged, the residual connection is added as the identity (rows renormalised), and the
    layers' matrices are multiplied from the first to the last.
    """
    t = attention.shape[-1]
    out = np.eye(t)
    for layer in attention:
        a = layer.mean(0) + np.eye(t)
        a = a / a.sum(-1, keepdims=True)
        out = a @ out
    return out


@torch.no_grad()
def inside(result: TrainResult, digit) -> Inside:
    """All attention maps of ``result``'s ViT for one digit (28, 28) or (784,), computed once."""
    model = result.model
    dev = next(model.parameters()).device
    x = torch.as_tensor(np.array(digit, np.float32).reshape(1, -1)).to(dev)
    was = model.training
    model.eval()
    logits, att = model(x, keep=True)
    model.train(was)
    att = att[:, 0].cpu().numpy().astype(np.float64)  # (depth, heads, t, t)
    g = model.cfg.grid
    cls = att[:, :, 0, 1:].reshape(att.shape[0], att.shape[1], g, g)
    roll = rollout(att)[0, 1:].reshape(g, g)
    proba = torch.softmax(logits[0], 0).cpu().numpy()
    return Inside(np.asarray(digit, np.float32).reshape(28, 28), proba, att, cls, roll, model.cfg.patch)


def heat(m: np.ndarray) -> np.ndarray:
    """A black-red-yellow-white colour map for values in [0, 1]: (..., ) -> (..., 3)."""
    m = np.clip(np.asarray(m, np.float32), 0, 1)
    return np.stack([np.clip(3 * m, 0, 1), np.clip(3 * m - 1, 0, 1), np.clip(3 * m - 2, 0, 1)], axis=-1)


def overlay(digit: np.ndarray, amap: np.ndarray) -> np.ndarray:
    """An attention map (g, g) over a digit (28, 28): the map, scaled to its maximum, in colour, the
    digit's strokes on top in light blue. Returns (28, 28, 3) in [0, 1]."""
    g = amap.shape[0]
    up = np.kron(amap / max(float(amap.max()), 1e-12), np.ones((28 // g, 28 // g)))
    base = heat(up) * 0.85
    ink = np.asarray(digit, np.float32).reshape(28, 28)[..., None]
    return np.clip(base * (1 - 0.6 * ink) + 0.6 * ink * np.array([0.55, 0.8, 1.0]), 0, 1)


def patch_grid(digit, patch: int, zoom: int = 8) -> np.ndarray:
    """The digit with the patch borders drawn in orange: (28, 28) -> (28*zoom, 28*zoom, 3)."""
    img = np.kron(np.asarray(digit, np.float32).reshape(28, 28), np.ones((zoom, zoom)))
    rgb = np.repeat(img[..., None], 3, axis=-1)
    for k in range(0, 28 + 1, patch):
        i = min(k * zoom, 28 * zoom - 1)
        rgb[max(i - 1, 0) : i + 1, :] = (0.9, 0.6, 0.0)
        rgb[:, max(i - 1, 0) : i + 1] = (0.9, 0.6, 0.0)
    return rgb


@torch.no_grad()
def position_similarity(result: TrainResult) -> np.ndarray:
    """Cosine similarity of each patch's position embedding with every other patch's, as tiles:
    (n_patches, g, g) in [-1, 1]; tile i shows patch i's similarity to each position of the grid."""
    pos = result.model.pos[0, 1:].detach().cpu().numpy().astype(np.float64)  # (n_patches, dim)
    unit = pos / np.maximum(np.linalg.norm(pos, axis=1, keepdims=True), 1e-12)
    g = result.model.cfg.grid
    return (unit @ unit.T).reshape(-1, g, g)


def similarity_tiles(sim: np.ndarray) -> np.ndarray:
    """Cosine similarities (n, g, g) as colour tiles (n, g, g, 3): cos <= 0 dark, cos = 1 white."""
    return heat(np.clip(sim, 0, 1))


@torch.no_grad()
def embedding_components(result: TrainResult, k: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """The first ``k`` principal components of the patch-embedding filters (the rows of the embedding
    matrix, one patch-sized filter per output feature): (k, patch, patch) and their explained variance
    ratios (k,)."""
    from sklearn.decomposition import PCA

    W = result.model.embed.weight.detach().cpu().numpy()  # (dim, patch*patch)
    k = min(k, *W.shape)
    pca = PCA(n_components=k, random_state=0).fit(W)
    p = result.model.cfg.patch
    return pca.components_.reshape(k, p, p), pca.explained_variance_ratio_


def report_grid(epochs: int, *, device: str = "cpu", seed: int = 0, callback=None) -> pd.DataFrame:
    """Train (or load from the model store) the report's configurations, ``epochs`` epochs each.

    Returns one row per configuration: ``config``, ``parameters``, ``seconds`` (training), ``train
    accuracy``, ``validation accuracy`` (digits carved from the training split), ``test accuracy``
    (held-out digits, scored once after training) and its standard error.
    """
    from annlab.attention.defaults import grid_configs

    rows = []
    configs = grid_configs(epochs)
    for i, cfg in enumerate(configs):
        name = f"dim {cfg.dim}, depth {cfg.depth}, heads {cfg.heads}, mlp {cfg.mlp_dim}"

        def step(epoch, metrics, i=i, name=name, total=cfg.num_epochs):
            if callback is not None:
                frac = (i + epoch / total) / len(configs)
                callback(epoch, {"fraction": frac, "text": f"{name}: epoch {epoch} / {total}"})

        res = jobs.run(vit_spec(cfg, seed), device, callback=step)
        last = res.history[-1]
        X_test, y_test = held_out_digits(seed)
        test_acc = float((vm.predict_proba(res.model, X_test).argmax(1) == y_test).mean())
        rows.append(
            {
                "config": name,
                "parameters": sum(p.numel() for p in res.model.parameters()),
                "seconds": _seconds(res),
                "train accuracy": last["train_acc"],
                "validation accuracy": last["val_acc"],
                "validation ± std. error": binomial_se(last["val_acc"], res.extra.get("n_val", 0) or 1),
                "test accuracy": test_acc,
                "± std. error": binomial_se(test_acc, len(y_test)),
            }
        )
        if callback is not None:
            callback(i + 1, {"fraction": (i + 1) / len(configs), "text": f"{name}: done"})
    return pd.DataFrame(rows)


def test_digit(index: int, seed: int = 0) -> tuple[np.ndarray, int]:
    """Held-out test digit number ``index`` (28, 28) and its label."""
    X_test, y_test = held_out_digits(seed)
    i = int(index) % len(X_test)
    return np.asarray(X_test[i], np.float32).reshape(28, 28), int(y_test[i])
