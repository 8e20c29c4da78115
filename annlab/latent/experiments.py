"""What the Latent space page computes: plain functions of trained results, returning dataclasses.

Every function takes the :class:`~annlab.training.TrainResult` of a model (the page passes it through
``annlab.ui.call``, which caches by the model's store key), the data set name and the seed of the
split, and plain settings. Nothing here imports Streamlit; the maths lives in
:mod:`annlab.latent.codes`, the models in :mod:`annlab.latent.autoencoders` and :mod:`annlab.latent.gan`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from annlab.data import digit_split, two_moons
from annlab.latent import autoencoders as ae
from annlab.latent import codes
from annlab.latent import gan as gan_mod
from annlab.latent.defaults import MOONS_N, N_SAMPLES, STEPS
from annlab.training import TrainResult, TrainSpec

PRIOR_KINDS = ("vae", "mmd")  # models whose codes are pushed towards N(0, I)


def has_prior(result: TrainResult) -> bool:
    """True for a VAE or an MMD autoencoder (codes follow N(0, I)): sample and slide on the sphere."""
    return result.config.kind in PRIOR_KINDS


@dataclass(frozen=True)
class DigitSet:
    """What the controls need to know about a data set: test digits, image side, the default ends."""

    n_test: int
    last: int  # the last test digit's number
    side: int
    start: int  # the first test 0 ...
    end: int  # ... and the first test 1: far apart in any map
    warning: str | None


def digit_set(dataset: str, seed: int = 0) -> DigitSet:
    """The test split of ``dataset`` as the page's controls see it."""
    d = digit_split(dataset, seed=seed)
    first = [int(np.flatnonzero(d.y_test == label)[0]) for label in (0, 1)]
    return DigitSet(len(d.X_test), len(d.X_test) - 1, d.side, first[0], first[1], d.warning)


# --- map & interpolation -----------------------------------------------------------------------------


def codes_of_test_digits(result: TrainResult, dataset: str, seed: int = 0) -> np.ndarray:
    """Codes of the test digits: (n_test, latent_dim)."""
    return ae.encode(result.model, digit_split(dataset, seed=seed).X_test)


@dataclass(frozen=True)
class CodeMap:
    """The test codes on a plane: ``points`` (n, 2), true ``labels`` (n,), axis titles."""

    points: np.ndarray
    labels: np.ndarray
    x_title: str
    y_title: str
    latent_dim: int


def code_map(result: TrainResult, dataset: str, seed: int = 0, method: str = "PCA") -> CodeMap:
    """The test codes themselves for 1-D and 2-D codes, else their PCA or t-SNE projection."""
    Z = codes_of_test_digits(result, dataset, seed)
    d = Z.shape[1]
    titles = ("z1", "z2") if d == 2 else ("z1", "(none)") if d == 1 else (f"{method} 1", f"{method} 2")
    P = codes.project_2d(Z, method if d > 2 else "PCA", seed=seed)
    return CodeMap(P, digit_split(dataset, seed=seed).y_test, *titles, d)


@dataclass(frozen=True)
class Interpolation:
    """A slide between two codes.

    Attributes
    ----------
    start, end : (D,) the two input images
    strip : (steps, D) decoded codes from start to end, both included
    decoded : (D,) the decoded code at position ``t``
    path : (40, d) the path in code space (finely sampled, for the map)
    point : (d,) the code at ``t``
    """

    start: np.ndarray
    end: np.ndarray
    strip: np.ndarray
    decoded: np.ndarray
    path: np.ndarray
    point: np.ndarray
    t: float
    mode: str

    @property
    def ends(self) -> np.ndarray:
        """(3, D): the start, the decoded code at ``t``, the end."""
        return np.stack([self.start, self.decoded, self.end])


def interpolation(
    result: TrainResult,
    dataset: str,
    seed: int,
    ia: int,
    ib: int,
    t: float,
    mode: str = "linear",
    drawn: np.ndarray | None = None,
    steps: int = STEPS,
) -> Interpolation:
    """Encode test digit ``ia`` (or the ``drawn`` digit) and test digit ``ib``, decode ``steps`` codes on
    the linear or spherical path between them and the code at ``t``."""
    X = digit_split(dataset, seed=seed).X_test
    x_a = X[int(ia)] if drawn is None else np.asarray(drawn, np.float32).reshape(-1)
    x_b = X[int(ib)]
    za, zb = ae.encode(result.model, np.stack([x_a, x_b]))
    z_t = (codes.slerp if mode == "spherical" else codes.lerp)(za, zb, t)
    out = ae.decode(result.model, np.vstack([codes.interpolate(za, zb, steps, mode), z_t[None]]))
    fine = codes.interpolate(za, zb, 40, mode)
    return Interpolation(x_a, x_b, out[:steps], out[steps], fine, z_t, float(t), mode)


def decoder_map(result: TrainResult, dataset: str, seed: int = 0, n: int = 15) -> np.ndarray:
    """Decoded images of an n x n grid over a 2-D latent plane (row-major, z2 decreasing down): (n*n, D).

    The grid spans the N(0, 1) quantiles 2.5 %..97.5 % for a model with a prior, else the
    1st..99th percentiles of the test codes.
    """
    grid = codes.latent_grid(codes_of_test_digits(result, dataset, seed), n, prior=has_prior(result))
    return ae.decode(result.model, grid)


# --- reconstructions & the bottleneck ----------------------------------------------------------------


@dataclass(frozen=True)
class Reconstructions:
    """``images`` (2n, D): n test digits, then their reconstructions; ``mse``: mean squared error per
    pixel over all test digits."""

    images: np.ndarray
    mse: float


def reconstructions(result: TrainResult, dataset: str, seed: int = 0, n: int = 12) -> Reconstructions:
    """The first ``n`` test digits and their reconstructions, and the test error."""
    X = digit_split(dataset, seed=seed).X_test
    show = X[:n]
    images = np.vstack([show, ae.reconstruct(result.model, show)])
    return Reconstructions(images, float(ae.per_image_error(result.model, X).mean()))


def latent_sweep(
    specs: list[TrainSpec],
    dataset: str,
    seed: int = 0,
    device: str = "cpu",
    callback: Callable[[int, dict], None] | None = None,
) -> pd.DataFrame:
    """Train (or load) one model per latent size and score it: test error and an SVM on frozen codes.

    ``callback(step, info)`` gets ``info["fraction"]`` (0..1) and ``info["text"]`` after every epoch.
    Returns one row per spec: ``latent size``, ``test MSE per pixel``, ``classifier accuracy on codes``.
    """
    d = digit_split(dataset, seed=seed)
    rows = []
    for i, spec in enumerate(specs):

        def progress(epoch, metrics, i=i, spec=spec):
            if callback is not None:
                fraction = (i + epoch / (spec.num_epochs or 1)) / len(specs)
                callback(epoch, {"fraction": fraction, "text": f"Training {spec.label}: epoch {epoch}"})

        r = spec.run(device, callback=progress)
        Z_train, Z_test = ae.encode(r.model, d.X_train), ae.encode(r.model, d.X_test)
        rows.append(
            {
                "latent size": spec.cfg.latent_dim,
                "test MSE per pixel": float(ae.per_image_error(r.model, d.X_test).mean()),
                "classifier accuracy on codes": codes.code_classifier_accuracy(
                    Z_train, d.y_train, Z_test, d.y_test, seed=seed
                ),
            }
        )
    return pd.DataFrame(rows)


# --- sampling ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleSet:
    """Samples of one source: the first 30 ``images`` (30, D) and the forest's verdict on all of them."""

    title: str
    images: np.ndarray
    recognised: float
    histogram: np.ndarray


@dataclass(frozen=True)
class Sampling:
    """Every source's samples, and the judging forest's own scores on real test digits: its ``accuracy``
    and the share of ``real`` test digits it recognises confidently (the reference for samples)."""

    sets: list[SampleSet]
    accuracy: float
    real: float


def sampling(
    result: TrainResult,
    gan: TrainResult | None,
    dataset: str,
    seed: int,
    n_components: int,
    model_name: str,
    gan_name: str,
    n: int = N_SAMPLES,
) -> Sampling:
    """Decode ``n`` codes from a Gaussian mixture fitted to the train codes, from N(0, I) for a model with
    a prior, and from the GAN (left out when None or diverged), and let the random forest judge each set."""
    m = result.model
    Z_train = ae.encode(m, digit_split(dataset, seed=seed).X_train)
    out = {
        f"GMM ({n_components} components) on the codes": ae.decode(
            m, codes.gmm_sample(Z_train, n_components, n, seed=seed)
        )
    }
    if has_prior(result):
        prior = codes.prior_sample(result.config.latent_dim, n, seed)
        out[f"{model_name.split(' (')[0]}: codes drawn from N(0, I)"] = ae.decode(m, prior)
    if gan is not None and not gan.diverged:
        out[f"{gan_name}: z drawn from N(0, I)"] = gan_mod.generate(
            gan.model, gan_mod.sample_z(gan.config, n, seed)
        )
    sets = []
    for title, imgs in out.items():
        verdict = codes.judge(imgs, dataset, seed=seed)
        sets.append(SampleSet(title, imgs[:30], verdict["recognised"], verdict["histogram"]))
    _, accuracy, real = codes.digit_classifier(dataset, seed)
    return Sampling(sets, accuracy, real)


def gan_slide(gan: TrainResult, seed_a: int, seed_b: int, t: float, steps: int = STEPS) -> np.ndarray:
    """Images on the spherical path between prior draws ``seed_a`` and ``seed_b``: (steps + 1, D), the
    last one at position ``t``."""
    za = gan_mod.sample_z(gan.config, 1, int(seed_a))[0]
    zb = gan_mod.sample_z(gan.config, 1, int(seed_b))[0]
    path = np.vstack([codes.interpolate(za, zb, steps, "spherical"), codes.slerp(za, zb, t)[None]])
    return gan_mod.generate(gan.model, path)


# --- clustering & classifying --------------------------------------------------------------------


@dataclass(frozen=True)
class Clustering:
    """k-means on raw pixels and on the codes, and an SVM's test accuracy on the frozen codes."""

    svm_accuracy: float
    reports: list[codes.ClusterReport]


def clustering(result: TrainResult, dataset: str, seed: int = 0) -> Clustering:
    """k-means (k = 10) on the test digits' pixels and codes, scored against their labels."""
    d = digit_split(dataset, seed=seed)
    Z_test = ae.encode(result.model, d.X_test)
    svm = codes.code_classifier_accuracy(
        ae.encode(result.model, d.X_train), d.y_train, Z_test, d.y_test, seed=seed
    )
    return Clustering(
        svm,
        [
            codes.cluster_report(d.X_test, d.y_test, seed=seed, features="raw pixels"),
            codes.cluster_report(Z_test, d.y_test, seed=seed, features="autoencoder codes"),
        ],
    )


def tsne_clustering(result: TrainResult, dataset: str, seed: int = 0) -> codes.ClusterReport:
    """t-SNE of all codes (train digits unlabelled), then k-means; scored on the test digits."""
    d = digit_split(dataset, seed=seed)
    return codes.embed_then_cluster(
        ae.encode(result.model, d.X_test),
        d.y_test,
        Z_unlabelled=ae.encode(result.model, d.X_train),
        seed=seed,
        features="t-SNE of the codes",
    )


def cluster_table(reports: list[codes.ClusterReport]) -> pd.DataFrame:
    """One row per clustering: accuracy (Hungarian matching), ARI, NMI, silhouette."""
    return pd.DataFrame(
        [
            {
                "k-means on": r.features,
                "accuracy": r.accuracy,
                "ARI": r.ari,
                "NMI": r.nmi,
                "silhouette": r.silhouette,
            }
            for r in reports
        ]
    )


# --- two moons -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoonsView:
    """Test points ``X`` (n, 2) with moons ``y``, their 1-D codes ``Z`` (n, 1), the decoder's ``curve``
    (300, 2), the test reconstruction error (squared distance to the curve), decoded samples of a
    4-component GMM on the AE's codes and of N(0, 1) through the MMD-AE (300, 2 each)."""

    X: np.ndarray
    y: np.ndarray
    Z: np.ndarray
    curve: np.ndarray
    rec_err: float
    gmm: np.ndarray
    prior: np.ndarray


def moons_view(
    ae_result: TrainResult, mmd_result: TrainResult, train_noise: float, test_noise: float, seed: int = 0
) -> MoonsView:
    """What the two-moons models make of 500 fresh test points with noise ``test_noise``."""
    am = ae_result.model
    X, y = two_moons(500, noise=test_noise, seed=seed + 2000)
    Z = ae.encode(am, X)
    rec_err = float(((ae.decode(am, Z) - X) ** 2).sum(1).mean())
    Z_fit = ae.encode(am, two_moons(MOONS_N, noise=train_noise, seed=seed)[0])
    gmm = ae.decode(am, codes.gmm_sample(Z_fit, 4, 300, seed=seed))
    prior = ae.decode(mmd_result.model, codes.prior_sample(1, 300, seed))
    return MoonsView(X, y, Z, codes.moons_curve(am, Z), rec_err, gmm, prior)


# --- denoising -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Denoising:
    """``images`` (36, D): 12 test digits, corrupted, denoised (row by row); the forest's accuracy on
    200 test digits for each of the three."""

    images: np.ndarray
    accuracy: dict[str, float]


def denoising(result: TrainResult, dataset: str, seed: int, kind: str, level: float) -> Denoising:
    """Corrupt 200 test digits (blur sigma or noise std ``level``) and denoise them."""
    d = digit_split(dataset, seed=seed)
    show = d.X_test[:200]
    noisy = ae.corrupt(show, kind, level, side=d.side, seed=seed)
    clean = ae.reconstruct(result.model, noisy)
    accuracy = {
        name: float(np.mean(codes.judge(x, dataset, seed=seed)["labels"] == d.y_test[:200]))
        for name, x in (("originals", show), ("corrupted", noisy), ("denoised", clean))
    }
    return Denoising(np.vstack([show[:12], noisy[:12], clean[:12]]), accuracy)
