"""What the Latent space page computes: plain functions of trained results, returning dataclasses.

Every function takes the :class:`~annlab.training.TrainResult` of a model (the page passes it through
``annlab.ui.call``, which caches by the model's store key), the data set name and the seed of the
split, and plain settings. Nothing here imports Streamlit; the maths lives in
:mod:`annlab.latent.codes`, the models in :mod:`annlab.latent.autoencoders` and :mod:`annlab.latent.gan`,
the digit judge in :mod:`annlab.judge`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from annlab import jobs
from annlab.data import digit_split, two_moons
from annlab.judge import digit_classifier, judge, judge_features
from annlab.latent import autoencoders as ae
from annlab.latent import codes
from annlab.latent import gan as gan_mod
from annlab.latent.defaults import MOONS_N, N_SAMPLES, STEPS, T_SLIDER
from annlab.latent.splits import splits
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


def slider_positions() -> np.ndarray:
    """Every position of the page's slider (0, 0.05, ..., 1): (21,)."""
    kw = T_SLIDER.kw
    n = int(round((kw["max_value"] - kw["min_value"]) / kw["step"])) + 1
    return np.round(np.linspace(kw["min_value"], kw["max_value"], n), 6)


@dataclass(frozen=True)
class Slide:
    """A slide between two codes with every slider position decoded once.

    Attributes
    ----------
    start, end : (D,) the two input images
    strip : (steps, D) decoded codes from start to end, both included
    positions : (m,) the slider positions t; ``decoded`` (m, D) and ``points`` (m, d) at each
    path : (40, d) the path in code space (finely sampled, for the map)
    """

    start: np.ndarray
    end: np.ndarray
    strip: np.ndarray
    positions: np.ndarray
    decoded: np.ndarray
    points: np.ndarray
    path: np.ndarray
    mode: str

    def at(self, t: float) -> Interpolation:
        """The slide at the slider position nearest ``t``: no model call, only a pick."""
        i = int(np.argmin(np.abs(self.positions - float(t))))
        return Interpolation(
            self.start, self.end, self.strip, self.decoded[i], self.path, self.points[i], float(t), self.mode
        )


def slide(
    result: TrainResult,
    dataset: str,
    seed: int,
    ia: int,
    ib: int,
    mode: str = "linear",
    drawn: np.ndarray | None = None,
    steps: int = STEPS,
    positions: np.ndarray | None = None,
) -> Slide:
    """Encode test digit ``ia`` (or the ``drawn`` digit) and test digit ``ib`` and decode, in one batch,
    ``steps`` codes on the linear or spherical path between them and the code at every slider position."""
    X = digit_split(dataset, seed=seed).X_test
    x_a = X[int(ia)] if drawn is None else np.asarray(drawn, np.float32).reshape(-1)
    x_b = X[int(ib)]
    za, zb = ae.encode(result.model, np.stack([x_a, x_b]))
    ts = slider_positions() if positions is None else np.asarray(positions, np.float64)
    points = (codes.slerp if mode == "spherical" else codes.lerp)(za, zb, ts)
    out = ae.decode(result.model, np.vstack([codes.interpolate(za, zb, steps, mode), points]))
    fine = codes.interpolate(za, zb, 40, mode)
    return Slide(x_a, x_b, out[:steps], ts, out[steps:], points, fine, mode)


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
    """The slide of :func:`slide` at exactly position ``t``."""
    return slide(result, dataset, seed, ia, ib, mode, drawn, steps, positions=np.array([t])).at(t)


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
    pixel over all test digits; ``pca_mse``: the same for PCA with as many components as the code
    (fitted on the fit digits), the linear baseline; ``rank``: numerical rank of the test codes."""

    images: np.ndarray
    mse: float
    pca_mse: float
    latent_dim: int
    rank: int
    pca_components: int = 0  # min(latent_dim, pixels): PCA cannot have more components than pixels


def reconstructions(result: TrainResult, dataset: str, seed: int = 0, n: int = 12) -> Reconstructions:
    """The first ``n`` test digits and their reconstructions, the test error and PCA's beside it."""
    s = splits(dataset, seed)
    show = s.X_test[:n]
    images = np.vstack([show, ae.reconstruct(result.model, show)])
    d = result.config.latent_dim
    return Reconstructions(
        images,
        float(ae.per_image_error(result.model, s.X_test).mean()),
        codes.pca_reconstruction_mse(s.X_fit, s.X_test, d, seed=seed),
        d,
        codes.numerical_rank(ae.encode(result.model, s.X_test)),
        min(d, s.X_fit.shape[1]),
    )


@dataclass(frozen=True)
class EpochReconstructions:
    """``images`` ((1 + len(epochs)) * m, D): m validation digits, then their reconstructions after each
    of ``epochs`` (row by row)."""

    images: np.ndarray
    epochs: list[int]
    n: int


def epoch_reconstructions(result: TrainResult, dataset: str, seed: int, epochs) -> EpochReconstructions:
    """The reconstructions training kept after the chosen ``epochs`` (those it reached), under the
    validation digits they reconstruct."""
    snaps = ae.snapshots(result)
    kept = sorted({int(e) for e in epochs if 1 <= int(e) <= len(snaps)})
    show = splits(dataset, seed).show[: snaps.shape[1]]
    return EpochReconstructions(np.vstack([show, *[snaps[e - 1] for e in kept]]), kept, len(show))


def reconstruction_agreement(model: ae.AutoEncoder, dataset: str, seed: int = 0) -> float:
    """Seed 003's check: the share of test digits whose reconstruction the digit classifier (a random
    forest trained on real train digits) labels as it labels the original."""
    X = digit_split(dataset, seed=seed).X_test
    clf = digit_classifier(dataset, seed)[0]
    recon = ae.reconstruct(model, X)
    return float(np.mean(clf.predict(judge_features(X)) == clf.predict(judge_features(recon))))


def _scored(Z: np.ndarray, score: Callable[..., float], *args, **kwargs) -> float:
    """``score(*args, **kwargs)``, or NaN when the codes ``Z`` it scores are not finite (sklearn refuses
    NaN inputs: a spy test's test digits)."""
    return score(*args, **kwargs) if np.isfinite(Z).all() else float("nan")


def latent_sweep(
    specs: list[TrainSpec],
    dataset: str,
    seed: int = 0,
    device: str = "cpu",
    callback: Callable[[int, dict], None] | None = None,
) -> pd.DataFrame:
    """Train (or load) one model per latent size and score it on the test digits: reconstruction error,
    an SVM on frozen codes (fit on the fit digits' codes), and the classifier's agreement on originals
    and reconstructions; the last validation loss comes from training.

    ``callback(step, info)`` gets ``info["fraction"]`` (0..1) and ``info["text"]`` after every epoch.
    Returns one row per spec: ``latent size``, ``validation loss`` (what a size may be chosen on), and
    the test scores (scored once, after training; not for choosing): ``test MSE per pixel``, ``PCA test
    MSE per pixel`` (as many components as the code), ``code rank`` (numerical rank of the test codes),
    ``classifier accuracy on codes``, ``labels kept by reconstructions``.
    """
    s = splits(dataset, seed)
    rows = []
    for i, spec in enumerate(specs):

        def progress(epoch, metrics, i=i, spec=spec):
            if callback is not None:
                fraction = (i + epoch / (spec.num_epochs or 1)) / len(specs)
                callback(epoch, {"fraction": fraction, "text": f"Training {spec.label}: epoch {epoch}"})

        r = jobs.run(spec, device, callback=progress)
        Z_fit, Z_test = ae.encode(r.model, s.X_fit), ae.encode(r.model, s.X_test)
        rows.append(
            {
                "latent size": spec.cfg.latent_dim,
                "validation loss": float(r.history[-1].get("val_loss", np.nan)),
                "test MSE per pixel": float(ae.per_image_error(r.model, s.X_test).mean()),
                "PCA test MSE per pixel": codes.pca_reconstruction_mse(
                    s.X_fit, s.X_test, spec.cfg.latent_dim, seed=seed
                ),
                "code rank": codes.numerical_rank(Z_test),
                "classifier accuracy on codes": _scored(
                    Z_test, codes.code_classifier_accuracy, Z_fit, s.y_fit, Z_test, s.y_test, seed=seed
                ),
                "labels kept by reconstructions": _scored(
                    Z_test, reconstruction_agreement, r.model, dataset, seed
                ),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class VAEReport:
    """A VAE on the test digits, per digit (beta = 1, whatever beta it was trained with).

    ``elbo`` = -(``recon`` + ``kl``) with the training loss on grey-level pixels: for bce a binary
    cross-entropy, not a log-likelihood (grey pixels are not Bernoulli outcomes); ``pixel_bce``: the
    independent-pixel Bernoulli model (fitted on the fit digits) in the same BCE units (bce only, else
    NaN). ``bin_elbo``: the ELBO on the test digits binarised at 0.5, decoder read as Bernoulli: a
    lower bound on log p(x) in nats; ``bin_pixel_nll``: the independent-pixel model's exact NLL on them
    (fitted on binarised fit digits). ``kl_per_dim`` (latent_dim,)."""

    elbo: float
    recon: float
    kl: float
    kl_per_dim: np.ndarray
    beta: float
    pixel_bce: float
    bin_elbo: float
    bin_pixel_nll: float


def vae_report(result: TrainResult, dataset: str, seed: int = 0) -> VAEReport:
    """Test ELBO, its independent-pixel baseline in the same units, and the KL of each latent dimension
    (near 0: collapsed, the decoder ignores it)."""
    s = splits(dataset, seed)
    X = s.X_test
    terms = ae.evaluate(result.model, X, seed=seed)
    bce = result.config.loss == "bce"
    pixel_bce = codes.independent_pixel_nll(s.X_fit, X) if bce else float("nan")
    Xb = codes.binarise(X)
    return VAEReport(
        -(terms["recon"] + terms["reg"]),
        terms["recon"],
        terms["reg"],
        ae.kl_per_dim(result.model, X),
        result.config.beta,
        pixel_bce,
        ae.bernoulli_elbo(result.model, Xb, seed=seed)["elbo"],
        codes.independent_pixel_nll(codes.binarise(s.X_fit), Xb),
    )


def ae_table(
    specs: dict[str, TrainSpec],
    dataset: str,
    seed: int = 0,
    device: str = "cpu",
    callback: Callable[[int, dict], None] | None = None,
) -> pd.DataFrame:
    """Seed 002's comparison: train (or load) each autoencoder of ``specs`` (name -> spec) and give its
    test MSE per pixel with PCA of the same size beside it, and its training seconds as the store
    recorded them (the last history row's ``seconds``: wall time of the run that trained it, on
    whatever machine and load that was)."""
    s = splits(dataset, seed)
    rows = []
    for i, (name, spec) in enumerate(specs.items()):
        r = jobs.run(spec, device)
        d = spec.cfg.latent_dim
        rows.append(
            {
                "model": name,
                "latent size": d,
                "epochs": len(r.history),
                "test MSE per pixel": float(ae.per_image_error(r.model, s.X_test).mean()),
                "PCA test MSE per pixel": codes.pca_reconstruction_mse(s.X_fit, s.X_test, d, seed=seed),
                "training seconds": float(r.history[-1]["seconds"]) if r.history else float("nan"),
            }
        )
        _progress(callback, i, len(specs), f"{spec.label} ready")
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
    averaged: bool = True,
) -> Sampling:
    """Decode ``n`` codes from a Gaussian mixture fitted to the train codes, from N(0, I) for a model with
    a prior, and from the GAN (left out when None or diverged), and let the random forest judge each set."""
    m = result.model
    Z_train = ae.encode(m, splits(dataset, seed).X_fit)
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
            gan.model, gan_mod.sample_z(gan.config, n, seed), averaged
        )
    sets = []
    for title, imgs in out.items():
        verdict = judge(imgs, dataset, seed=seed)
        sets.append(SampleSet(title, imgs[:30], verdict["recognised"], verdict["histogram"]))
    _, accuracy, real = digit_classifier(dataset, seed)
    return Sampling(sets, accuracy, real)


GAN_SAMPLES, GAN_SAMPLE_SEED = 1000, 1  # the GAN's samples the benchmarks judge (codes of seed 1)


def gan_verdict(
    gan: TrainResult, dataset: str = "mnist", n: int = GAN_SAMPLES, averaged: bool = True
) -> dict:
    """The judge's verdict (:func:`annlab.judge.judge`) on ``n`` samples of the trained GAN, from the
    prior codes of seed :data:`GAN_SAMPLE_SEED` (the same codes for every GAN of one latent size), drawn
    by the weight average (``averaged``, when kept) or the live generator."""
    z = gan_mod.sample_z(gan.config, n, seed=GAN_SAMPLE_SEED)
    return judge(gan_mod.generate(gan.model, z, averaged), dataset)


def gan_slide(
    gan: TrainResult, seed_a: int, seed_b: int, t: float, steps: int = STEPS, averaged: bool = True
) -> np.ndarray:
    """Images on the spherical path between prior draws ``seed_a`` and ``seed_b``: (steps + 1, D), the
    last one at position ``t`` (weight average or live generator, as ``averaged``)."""
    za = gan_mod.sample_z(gan.config, 1, int(seed_a))[0]
    zb = gan_mod.sample_z(gan.config, 1, int(seed_b))[0]
    path = np.vstack([codes.interpolate(za, zb, steps, "spherical"), codes.slerp(za, zb, t)[None]])
    return gan_mod.generate(gan.model, path, averaged)


@dataclass(frozen=True)
class GANEpochs:
    """What the GAN made of its fixed codes during training: ``images`` (len(epochs) * n, D) after each
    chosen epoch (row by row), and for every epoch the judge's ``histograms`` (epochs, 10) of
    confidently recognised classes and the ``recognised`` share (epochs,)."""

    images: np.ndarray
    epochs: list[int]
    n: int
    histograms: np.ndarray
    recognised: np.ndarray
    source: str = "weight average"  # which generator drew them: "weight average" or "live generator"


def gan_epochs(
    gan: TrainResult, dataset: str, seed: int, epochs, n: int = 10, averaged: bool = True
) -> GANEpochs:
    """Samples of the fixed codes after the chosen ``epochs`` (weight average or live generator, as
    ``averaged``) and the judge's class histogram per epoch (one class taking over, epoch after epoch,
    is mode collapse)."""
    live = not averaged and gan_mod.has_average(gan)
    snaps = gan_mod.snapshots(gan, averaged)
    source = "live generator" if live or not gan_mod.has_average(gan) else "weight average"
    if live and len(snaps) == 0:  # stored before both were kept: only the average's images exist
        snaps, source = gan_mod.snapshots(gan), "weight average (this stored GAN kept no live images)"
    kept = sorted({int(e) for e in epochs if 1 <= int(e) <= len(snaps)})
    verdicts = [judge(s, dataset, seed=seed) for s in snaps]
    hist = np.array([v["histogram"] for v in verdicts]).reshape(len(snaps), 10)
    rec = np.array([v["recognised"] for v in verdicts], float)
    images = np.vstack([snaps[e - 1][:n] for e in kept]) if kept else np.zeros((0, gan.config.input_dim))
    return GANEpochs(images, kept, n, hist, rec, source)


# --- clustering & classifying --------------------------------------------------------------------


@dataclass(frozen=True)
class Clustering:
    """k-means (k = 10) on the test digits' pixels, on a PCA of the pixels as long as the codes, and on
    the codes; an SVM's test accuracy on frozen codes and on raw pixels; the codes on a plane
    (``points`` (n, 2), their ``labels`` and k-means ``clusters``)."""

    svm_accuracy: float
    pixel_svm_accuracy: float
    reports: list[codes.ClusterReport]
    points: np.ndarray
    labels: np.ndarray
    clusters: np.ndarray
    axes: tuple[str, str]


@functools.lru_cache(maxsize=4)
def pixel_classifier_accuracy(dataset: str, seed: int = 0) -> float:
    """The baseline beside the classifier on codes: the same SVM on raw pixels (fit digits -> test)."""
    s = splits(dataset, seed)
    return codes.code_classifier_accuracy(s.X_fit, s.y_fit, s.X_test, s.y_test, seed=seed)


def clustering(result: TrainResult, dataset: str, seed: int = 0) -> Clustering:
    """k-means on the test digits' pixels, PCA of pixels and codes, scored against their labels."""
    s = splits(dataset, seed)
    m = result.model
    d = m.cfg.latent_dim
    Z_fit, Z_test = ae.encode(m, s.X_fit), ae.encode(m, s.X_test)
    svm = codes.code_classifier_accuracy(Z_fit, s.y_fit, Z_test, s.y_test, seed=seed)
    pca = codes.pca_features(s.X_fit, s.X_test, d, seed=seed)
    name = "VAE" if result.config.kind == "vae" else "autoencoder"
    reports = [
        codes.cluster_report(s.X_test, s.y_test, seed=seed, features="raw pixels"),
        codes.cluster_report(pca, s.y_test, seed=seed, features=f"PCA of the pixels ({pca.shape[1]}-D)"),
        codes.cluster_report(Z_test, s.y_test, seed=seed, features=f"{name} codes ({d}-D)"),
    ]
    axes = ("z1", "z2") if d == 2 else ("z1", "(none)") if d == 1 else ("PCA 1 of the codes", "PCA 2")
    points = codes.project_2d(Z_test, "PCA", seed=seed)
    clu = reports[-1].clusters
    return Clustering(svm, pixel_classifier_accuracy(dataset, seed), reports, points, s.y_test, clu, axes)


def tsne_clustering(result: TrainResult, dataset: str, seed: int = 0) -> codes.ClusterReport:
    """t-SNE of all codes (fit digits unlabelled), then k-means; scored on the test digits."""
    s = splits(dataset, seed)
    return codes.embed_then_cluster(
        ae.encode(result.model, s.X_test),
        s.y_test,
        Z_unlabelled=ae.encode(result.model, s.X_fit),
        seed=seed,
        features="t-SNE map of the codes",
    )


def cluster_table(reports: list[codes.ClusterReport]) -> pd.DataFrame:
    """One row per clustering: accuracy under each label mapping, ARI, NMI, and the silhouette with
    the space it is measured in (silhouettes of different spaces are not comparable)."""
    names = {
        "unmatched": "accuracy, unmatched ids",
        "majority": "accuracy, majority",
        "hungarian": "accuracy, Hungarian",
    }
    return pd.DataFrame(
        [
            {
                "k-means on": r.features,
                **{names[how]: r.accuracies.get(how, np.nan) for how in codes.MAPPINGS[::-1]},
                "ARI": r.ari,
                "NMI": r.nmi,
                "silhouette": r.silhouette,
                "silhouette measured in": r.space,
            }
            for r in reports
        ]
    )


# --- two moons and the 8x8 digits -----------------------------------------------------------------


@dataclass(frozen=True)
class MoonsView:
    """What the two-moons models make of fresh test points.

    ``X`` (n, 2) with moons ``y``, the 1-D codes ``Z`` (n, 1), the decoder's ``curve`` (300, 2), the test
    encode-decode error ``rec_err`` and PCA's with one component ``pca_err`` (squared distance per
    point, PCA fitted on the training points), decoded samples of a GMM on the AE's codes and of
    N(0, I) through the MMD-AE (300, 2 each), the MMD-AE's 2-D codes ``Z_mmd`` (n, 2), its
    reconstructions ``mmd_rec`` (n, 2) and their error ``mmd_err``, and ``mmd_prior``: the MMD^2
    between N(0, I) and the test codes of the MMD-AE and of a plain AE with a 2-D code (same kernel as
    the MMD-AE's penalty; NaN when no plain 2-D AE is given)."""

    X: np.ndarray
    y: np.ndarray
    Z: np.ndarray
    curve: np.ndarray
    rec_err: float
    gmm: np.ndarray
    prior: np.ndarray
    Z_mmd: np.ndarray
    n_components: int = 4
    pca_err: float = float("nan")
    mmd_rec: np.ndarray | None = None
    mmd_err: float = float("nan")
    mmd_prior: dict | None = None


def moons_test(noise: float, seed: int = 0, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Fresh test points of two moons (a seed no model trains or validates on)."""
    return two_moons(n, noise=noise, seed=seed + 2000)


def _sq_err(X_hat: np.ndarray, X: np.ndarray) -> float:
    """Mean squared distance per point: (n, 2), (n, 2) -> float."""
    return float(((X_hat - X) ** 2).sum(1).mean())


def moons_view(
    ae_result: TrainResult,
    mmd_result: TrainResult,
    train_noise: float,
    test_noise: float,
    seed: int = 0,
    n_components: int = 4,
    plain2_result: TrainResult | None = None,
) -> MoonsView:
    """What the two-moons models make of 500 fresh test points with noise ``test_noise``.

    ``rec_err`` is the mean squared encode-decode distance: an upper bound on the squared distance to
    the decoder's curve (the encoder need not find the nearest point of the curve)."""
    am = ae_result.model
    X, y = moons_test(test_noise, seed)
    X_fit = two_moons(MOONS_N, noise=train_noise, seed=seed)[0]
    Z = ae.encode(am, X)
    rec_err = _sq_err(ae.decode(am, Z), X)
    pca_err = 2 * codes.pca_reconstruction_mse(X_fit, X, 1, seed=seed, clip=False)
    Z_fit = ae.encode(am, X_fit)
    gmm = ae.decode(am, codes.gmm_sample(Z_fit, n_components, 300, seed=seed))
    mm = mmd_result.model
    prior = ae.decode(mm, codes.prior_sample(mm.cfg.latent_dim, 300, seed))
    Z_mmd = ae.encode(mm, X)
    mmd_rec = ae.decode(mm, Z_mmd)
    kern = dict(kernel=mm.cfg.kernel, bandwidth=mm.cfg.bandwidth, seed=seed)
    mmd_prior = {
        "MMD autoencoder": codes.mmd_to_prior(Z_mmd, **kern),
        "plain autoencoder (2-D code)": codes.mmd_to_prior(ae.encode(plain2_result.model, X), **kern)
        if plain2_result is not None
        else float("nan"),
    }
    return MoonsView(
        X,
        y,
        Z,
        codes.moons_curve(am, Z),
        rec_err,
        gmm,
        prior,
        Z_mmd,
        n_components,
        pca_err,
        mmd_rec,
        _sq_err(mmd_rec, X),
        mmd_prior,
    )


def moons_val(noise: float, seed: int = 0, n: int = MOONS_N) -> np.ndarray:
    """The validation points of two moons (those :func:`annlab.latent.defaults.moons_data` monitors
    training on): what seed 003's grids are scored on."""
    return two_moons(n, noise=noise, seed=seed + 1000)[0]


def _moons_error(cfg: ae.AEConfig, X_train, X_eval, seed: int) -> float:
    r = ae.train_autoencoder(cfg, X_train, seed=seed)
    return float(((ae.reconstruct(r.model, X_eval) - X_eval) ** 2).mean())


def _progress(callback, i: int, total: int, text: str) -> None:
    if callback is not None:
        callback(i, {"fraction": (i + 1) / total, "text": text})


def moons_grid(
    noise: float, seed: int = 0, *, sizes, steps, lrs, callback: Callable[[int, dict], None] | None = None
) -> pd.DataFrame:
    """Seed 003's first grid: training size x full-batch Adam steps x learning rate, 1-unit AE; one row
    per run with the MSE on the validation points (:func:`moons_val`; mean over coordinates, as torch's
    MSELoss). A grid chooses, so it is scored on validation points, never on the test points."""
    from annlab.latent.defaults import moons_config

    X_pool = two_moons(max(sizes), noise=noise, seed=seed)[0]
    X_val = moons_val(noise, seed)
    runs = [(n, e, lr) for n in sizes for e in steps for lr in lrs]
    rows = []
    for i, (n, e, lr) in enumerate(runs):
        cfg = moons_config("ae", num_epochs=e, lr=lr, batch_size=n)
        rows.append(
            {
                "training size": n,
                "steps": e,
                "lr": lr,
                "validation MSE": _moons_error(cfg, X_pool[:n], X_val, seed),
            }
        )
        _progress(callback, i, len(runs), f"{n} points, {e} steps, lr {lr:g}")
    return pd.DataFrame(rows)


def moons_net_grid(
    noise: float,
    seed: int = 0,
    *,
    hidden,
    layers,
    n: int = 1000,
    steps: int = 300,
    lr: float = 0.002,
    callback: Callable[[int, dict], None] | None = None,
) -> pd.DataFrame:
    """Seed 003's second grid: hidden units x hidden layers (each side) at fixed size, steps and lr."""
    from annlab.latent.defaults import moons_config

    X_train = two_moons(n, noise=noise, seed=seed)[0]
    X_val = moons_val(noise, seed)
    runs = [(h, k) for h in hidden for k in layers]
    rows = []
    for i, (h, k) in enumerate(runs):
        cfg = moons_config("ae", hidden=(h,) * k, num_epochs=steps, lr=lr, batch_size=n)
        rows.append(
            {"hidden units": h, "layers": k, "validation MSE": _moons_error(cfg, X_train, X_val, seed)}
        )
        _progress(callback, i, len(runs), f"{h} units x {k} layers")
    return pd.DataFrame(rows)


def digits8_grid(
    seed: int = 0,
    *,
    sizes,
    steps,
    lrs,
    latent_dim: int = 2,
    hidden: int = 65,
    callback: Callable[[int, dict], None] | None = None,
) -> pd.DataFrame:
    """Seed 003's grid on the 8x8 digits: training size x full-batch Adam steps x learning rate for an
    AE with one hidden layer of ``hidden`` units each side and a ``latent_dim``-D code (MSE loss). Each
    run is scored on the validation digits carved from the train split (so the grid may choose); the
    test digits are not touched. Rows: settings, ``validation MSE`` (per pixel) and PCA's with as many
    components as the code beside it."""
    s = splits("digits8", seed)
    pca = codes.pca_reconstruction_mse(s.X_fit, s.X_val, latent_dim, seed=seed)
    runs = [(n, e, lr) for n in sizes for e in steps for lr in lrs]
    rows = []
    for i, (n, e, lr) in enumerate(runs):
        n = min(int(n), len(s.X_fit))
        cfg = ae.AEConfig(
            input_dim=64,
            latent_dim=latent_dim,
            hidden=(hidden,),
            loss="mse",
            num_epochs=e,
            batch_size=n,
            lr=lr,
        )
        r = ae.train_autoencoder(cfg, s.X_fit[:n], seed=seed)
        val = float(ae.per_image_error(r.model, s.X_val).mean())
        rows.append(
            {"training size": n, "steps": e, "lr": lr, "validation MSE": val, "PCA validation MSE": pca}
        )
        _progress(callback, i, len(runs), f"8x8 digits: {n} digits, {e} steps, lr {lr:g}")
    return pd.DataFrame(rows)


def moons_repeats(
    noise: float,
    seed: int = 0,
    *,
    repeats: int = 5,
    n: int = 1000,
    steps: int = 300,
    lr: float = 0.002,
    callback: Callable[[int, dict], None] | None = None,
) -> pd.DataFrame:
    """The two sources of variance, separated: the same training points with new initial weights, and
    new training points with the same initial weights. Rows: source, mean and standard deviation of the
    validation MSE over ``repeats`` runs, and the runs' errors."""
    from annlab.latent.defaults import moons_config

    cfg = moons_config("ae", num_epochs=steps, lr=lr, batch_size=n)
    X_val = moons_val(noise, seed)
    X_same = two_moons(n, noise=noise, seed=seed)[0]
    errs: dict[str, list[float]] = {"same data, new weights": [], "new data, same weights": []}
    for r in range(repeats):
        errs["same data, new weights"].append(_moons_error(cfg, X_same, X_val, seed + 1 + r))
        X_new = two_moons(n, noise=noise, seed=seed + 5000 + r)[0]
        errs["new data, same weights"].append(_moons_error(cfg, X_new, X_val, seed))
        _progress(callback, r, repeats, f"repeat {r + 1} of {repeats}")
    return pd.DataFrame(
        [
            {"source": k, "mean validation MSE": np.mean(v), "std": np.std(v), "runs": len(v)}
            for k, v in errs.items()
        ]
    )


@dataclass(frozen=True)
class Bottlenecks:
    """``images`` ((1 + k) * 10, 64): ten test digits, then their reconstructions by each model; per
    bottleneck its test MSE per pixel, PCA's with as many components beside it, and the forest's label
    agreement (originals vs reconstructions)."""

    images: np.ndarray
    table: pd.DataFrame


def digits8_bottlenecks(
    specs: list[TrainSpec],
    seed: int = 0,
    device: str = "cpu",
    callback: Callable[[int, dict], None] | None = None,
) -> Bottlenecks:
    """Seed 003's 8x8 digits through bottlenecks 2, 4, 8: reconstructions side by side and scores."""
    s = splits("digits8", seed)
    X = s.X_test
    rows, images = [], [X[:10]]
    for i, spec in enumerate(specs):
        r = jobs.run(spec, device)
        images.append(ae.reconstruct(r.model, X[:10]))
        rows.append(
            {
                "bottleneck": spec.cfg.latent_dim,
                "test MSE per pixel": float(ae.per_image_error(r.model, X).mean()),
                "PCA test MSE per pixel": codes.pca_reconstruction_mse(
                    s.X_fit, X, spec.cfg.latent_dim, seed=seed
                ),
                "labels kept by reconstructions": reconstruction_agreement(r.model, "digits8", seed),
            }
        )
        _progress(callback, i, len(specs), f"trained {spec.label}")
    return Bottlenecks(np.vstack(images), pd.DataFrame(rows))


@dataclass(frozen=True)
class MoonsStudy:
    """Seed 003's runs: the two-moons settings grid, network grid and repeated training, and the 8x8
    digits through several bottlenecks."""

    grid: pd.DataFrame
    net_grid: pd.DataFrame
    repeats: pd.DataFrame
    digits8: Bottlenecks
    digits8_grid: pd.DataFrame | None = None


def moons_study(
    noise: float,
    seed: int = 0,
    digits8_specs: list[TrainSpec] = (),
    device: str = "cpu",
    *,
    grid: dict,
    net_grid: dict,
    repeats: int = 5,
    grid8: dict | None = None,
    callback: Callable[[int, dict], None] | None = None,
) -> MoonsStudy:
    """All of seed 003's studies at two-moons training noise ``noise``, with one progress bar (0..1);
    ``grid8``: the settings of :func:`digits8_grid` (seed 003's grid on the 8x8 digits), or None."""
    n1 = len(grid["sizes"]) * len(grid["steps"]) * len(grid["lrs"])
    n2 = len(net_grid["hidden"]) * len(net_grid["layers"])
    n3 = len(digits8_specs)
    n4 = 0 if grid8 is None else int(np.prod([len(v) for v in grid8.values()]))
    total = n1 + n2 + repeats + n3 + n4

    def part(offset, size):
        def cb(step, info):
            if callback is not None:
                callback(step, {"fraction": (offset + info["fraction"] * size) / total, "text": info["text"]})

        return cb

    return MoonsStudy(
        moons_grid(noise, seed, **grid, callback=part(0, n1)),
        moons_net_grid(noise, seed, **net_grid, callback=part(n1, n2)),
        moons_repeats(noise, seed, repeats=repeats, callback=part(n1 + n2, repeats)),
        digits8_bottlenecks(list(digits8_specs), seed, device, callback=part(n1 + n2 + repeats, n3)),
        None if grid8 is None else digits8_grid(seed, **grid8, callback=part(n1 + n2 + repeats + n3, n4)),
    )


# --- denoising -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Denoising:
    """``images`` (36, D): 12 test digits, corrupted, denoised (row by row); each judge's accuracy on
    200 test digits for each of the three: ``accuracy[judge][row]``."""

    images: np.ndarray
    accuracy: dict[str, dict[str, float]]


def denoising(
    result: TrainResult, dataset: str, seed: int, kind: str, level: float, cnn: TrainResult | None = None
) -> Denoising:
    """Corrupt 200 test digits (blur sigma or noise std ``level``) and denoise them; the random forest
    and, when given, the CNN of the CNN page judge originals, corrupted and denoised digits."""
    d = digit_split(dataset, seed=seed)
    show = d.X_test[:200]
    noisy = ae.corrupt(show, kind, level, side=d.side, seed=seed)
    clean = ae.reconstruct(result.model, noisy)
    rows = (("originals", show), ("corrupted", noisy), ("denoised", clean))
    accuracy = {
        "random forest": {
            name: float(np.mean(judge(x, dataset, seed=seed)["labels"] == d.y_test[:200])) for name, x in rows
        }
    }
    if cnn is not None:
        from annlab.cnn.experiments import predict_proba

        accuracy["CNN"] = {
            name: float(np.mean(predict_proba(cnn, x).argmax(1) == d.y_test[:200])) for name, x in rows
        }
    return Denoising(np.vstack([show[:12], noisy[:12], clean[:12]]), accuracy)
