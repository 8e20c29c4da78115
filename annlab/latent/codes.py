"""Working with codes: interpolation, 2-D projections, clustering with label matching, classifiers on
frozen codes, and Gaussian-mixture and prior sampling (the digit judge of samples is
:mod:`annlab.judge`, shared with other pages).

Everything here takes and returns plain arrays; the models come from :mod:`annlab.latent.autoencoders`
and :mod:`annlab.latent.gan`. Clustering accuracy uses the Hungarian algorithm to match clusters to
labels (one cluster per label), as in the deep-clustering literature.

References: Kuhn (1955), the Hungarian method; Xie, Girshick & Farhadi (2016), DEC, ICML (unsupervised
clustering accuracy); van der Maaten & Hinton (2008), t-SNE, JMLR; Shoemake (1985), slerp;
White (2016), Sampling generative networks, arXiv:1609.04468 (spherical interpolation in a prior).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from annlab.latent import autoencoders as ae

# --- geometry of the latent space -----------------------------------------------------------------


def lerp(z0: np.ndarray, z1: np.ndarray, t) -> np.ndarray:
    """Linear interpolation: (d,), (d,), t scalar or (m,) -> (d,) or (m, d)."""
    t = np.asarray(t, np.float64)
    out = (1 - t)[..., None] * np.asarray(z0, np.float64) + t[..., None] * np.asarray(z1, np.float64)
    return out.astype(np.float32)


def slerp(z0: np.ndarray, z1: np.ndarray, t) -> np.ndarray:
    """Spherical interpolation (Shoemake): follows the great circle, keeping the norm typical of a
    Gaussian prior; falls back to :func:`lerp` for (anti)parallel or zero vectors."""
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 < 1e-12 or n1 < 1e-12:
        return lerp(z0, z1, t)
    omega = np.arccos(np.clip(z0 @ z1 / (n0 * n1), -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return lerp(z0, z1, t)
    t = np.asarray(t, np.float64)[..., None]
    out = (np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
    return out.astype(np.float32)


def interpolate(z0, z1, steps: int = 9, mode: str = "linear") -> np.ndarray:
    """``steps`` codes from z0 to z1 (both ends included): (steps, d)."""
    if steps < 2:
        raise ValueError("An interpolation needs at least 2 steps.")
    t = np.linspace(0.0, 1.0, steps)
    return slerp(z0, z1, t) if mode == "spherical" else lerp(z0, z1, t)


def project_2d(Z: np.ndarray, method: str = "PCA", seed: int = 0) -> np.ndarray:
    """Codes (n, d) -> (n, 2): the codes themselves for d <= 2 (padded for d = 1), else PCA or t-SNE."""
    Z = np.asarray(Z, np.float32)
    if Z.shape[1] == 1:
        return np.column_stack([Z[:, 0], np.zeros(len(Z), np.float32)])
    if Z.shape[1] == 2:
        return Z.copy()
    if method == "t-SNE":
        from sklearn.manifold import TSNE

        return (
            TSNE(2, init="pca", random_state=seed, perplexity=min(30.0, (len(Z) - 1) / 3))
            .fit_transform(Z)
            .astype(np.float32)
        )
    from sklearn.decomposition import PCA

    return PCA(2, random_state=seed).fit_transform(Z).astype(np.float32)


def latent_grid(Z: np.ndarray | None, n: int = 15, prior: bool = False) -> np.ndarray:
    """An n x n grid of 2-D codes covering the latent plane, row-major with z2 decreasing down the rows.

    For a prior (VAE, MMD-AE) the grid follows the N(0, 1) quantiles 2.5 % .. 97.5 %; otherwise the
    1st..99th percentiles of the codes ``Z`` (m, 2). Returns (n*n, 2) float32.
    """
    if prior or Z is None:
        from scipy.stats import norm

        a = b = norm.ppf(np.linspace(0.025, 0.975, n))
    else:
        Z = np.asarray(Z)
        a = np.linspace(*np.percentile(Z[:, 0], [1, 99]), n)
        b = np.linspace(*np.percentile(Z[:, 1], [1, 99]), n)
    yy, xx = np.meshgrid(b[::-1], a, indexing="ij")
    return np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)


# --- clustering -----------------------------------------------------------------------------------


def match_clusters(y_true: np.ndarray, clusters: np.ndarray) -> dict[int, int]:
    """Hungarian cluster -> label mapping maximising agreement (one cluster per label; clusters left
    over when there are more clusters than labels keep no label and count as wrong)."""
    y_true, clusters = np.asarray(y_true), np.asarray(clusters)
    cl, ci = np.unique(clusters, return_inverse=True)
    lab, li = np.unique(y_true, return_inverse=True)
    M = np.zeros((len(cl), len(lab)), np.int64)
    np.add.at(M, (ci, li), 1)
    rows, cols = linear_sum_assignment(-M)
    return {int(cl[r]): int(lab[c]) for r, c in zip(rows, cols, strict=True)}


MAPPINGS = ("hungarian", "majority", "unmatched")


def map_clusters(y_true: np.ndarray, clusters: np.ndarray, how: str = "hungarian") -> np.ndarray:
    """The digit each point's cluster stands for, under one of three mappings: (n,) labels, -1 where a
    cluster got no label.

    - ``"hungarian"``: one-to-one, the matching with most agreement (Kuhn 1955); surplus clusters get -1;
    - ``"majority"``: each cluster takes its most common label (several clusters may take the same);
    - ``"unmatched"``: the cluster id itself read as a label (what an accuracy without matching
      computes: near chance, 1/k, however good the clusters are).
    """
    y_true, clusters = np.asarray(y_true), np.asarray(clusters)
    if how == "unmatched":
        return clusters.astype(np.int64).copy()
    if how == "majority":
        out = np.empty(len(clusters), np.int64)
        for c in np.unique(clusters):
            members = clusters == c
            labels, counts = np.unique(y_true[members], return_counts=True)
            out[members] = labels[np.argmax(counts)]  # ties: the smallest label
        return out
    if how != "hungarian":
        raise ValueError(f"Unknown mapping {how!r}; choose one of {MAPPINGS}.")
    mapping = match_clusters(y_true, clusters)
    return np.array([mapping.get(int(c), -1) for c in clusters], np.int64)


def cluster_accuracy(y_true: np.ndarray, clusters: np.ndarray, how: str = "hungarian") -> float:
    """Clustering accuracy: share of points whose mapped cluster label (:func:`map_clusters`) is theirs."""
    return float(np.mean(map_clusters(y_true, clusters, how) == np.asarray(y_true)))


def _confusion(y: np.ndarray, y_hat: np.ndarray, labels: np.ndarray) -> np.ndarray:
    conf = np.zeros((len(labels), len(labels) + 1), np.int64)
    known = np.isin(y_hat, labels)
    cols = np.where(known, np.searchsorted(labels, np.where(known, y_hat, labels[0])), len(labels))
    np.add.at(conf, (np.searchsorted(labels, y), cols), 1)
    return conf


@dataclass(frozen=True)
class ClusterReport:
    """k-means on some features, scored against labels.

    ``accuracy`` is under the Hungarian mapping, ``accuracies`` under each of :data:`MAPPINGS`;
    ``confusions[how][i, j]``: label i, mapped label j (column 10 when a cluster got no label or an id
    that is no label). ``silhouette`` is measured in the features' own space (``space``): silhouettes of
    two spaces are not comparable."""

    accuracy: float
    ari: float
    nmi: float
    silhouette: float
    confusion: np.ndarray
    clusters: np.ndarray
    features: str
    accuracies: dict = field(default_factory=dict)
    confusions: dict = field(default_factory=dict)
    space: str = ""


def cluster_report(
    F: np.ndarray,
    y: np.ndarray,
    *,
    k: int = 10,
    seed: int = 0,
    features: str = "",
    clusters: np.ndarray | None = None,
    space: str | None = None,
) -> ClusterReport:
    """k-means (k clusters, 10 restarts) on features ``F`` (n, d) scored against ``y`` (n,).

    Passing ``clusters`` scores an existing assignment instead (the silhouette is still on ``F``).
    ``space`` names where the silhouette is measured (default: "<d>-D <features>").
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score

    F = np.asarray(F, np.float64)
    y = np.asarray(y)
    if clusters is None:
        clusters = KMeans(k, n_init=10, random_state=seed).fit_predict(F)
    labels = np.unique(y)
    mapped = {how: map_clusters(y, clusters, how) for how in MAPPINGS}
    n_cl = len(np.unique(clusters))
    sil = float(silhouette_score(F, clusters, random_state=seed)) if 1 < n_cl < len(F) else float("nan")
    confusions = {how: _confusion(y, y_hat, labels) for how, y_hat in mapped.items()}
    accuracies = {how: float(np.mean(y_hat == y)) for how, y_hat in mapped.items()}
    return ClusterReport(
        accuracies["hungarian"],
        float(adjusted_rand_score(y, clusters)),
        float(normalized_mutual_info_score(y, clusters)),
        sil,
        confusions["hungarian"],
        clusters,
        features,
        accuracies,
        confusions,
        space or f"{F.shape[1]}-D {features}".strip(),
    )


def pca_features(F_fit: np.ndarray, F: np.ndarray, n_components: int, *, seed: int = 0) -> np.ndarray:
    """PCA fitted on ``F_fit`` (m, D), applied to ``F`` (n, D) -> (n, n_components): the linear baseline
    for a code of the same size."""
    from sklearn.decomposition import PCA

    n = max(1, min(n_components, F_fit.shape[1], len(F_fit)))
    return PCA(n, random_state=seed).fit(np.asarray(F_fit)).transform(np.asarray(F)).astype(np.float32)


def embed_then_cluster(
    Z: np.ndarray,
    y: np.ndarray,
    *,
    Z_unlabelled: np.ndarray | None = None,
    k: int = 10,
    seed: int = 0,
    features: str = "",
) -> ClusterReport:
    """t-SNE of the codes to 2-D, then k-means there; labels are only used to score.

    Parameters
    ----------
    Z : ndarray of shape (n, d), codes of the digits to cluster and score (test digits)
    y : ndarray of shape (n,), their labels (scoring only)
    Z_unlabelled : ndarray of shape (m, d), optional extra codes (train digits, labels unused) embedded
        together with ``Z``: t-SNE finds the cluster structure better with more points. Only the
        first n points are scored.
    """
    Z = np.asarray(Z, np.float32)
    both = Z if Z_unlabelled is None else np.vstack([Z, np.asarray(Z_unlabelled, np.float32)])
    E = project_2d(both, "t-SNE", seed=seed)
    from sklearn.cluster import KMeans

    clusters = KMeans(k, n_init=10, random_state=seed).fit_predict(E)[: len(Z)]
    return cluster_report(
        E[: len(Z)], y, k=k, seed=seed, features=features, clusters=clusters, space="2-D t-SNE map"
    )


# --- classifiers ----------------------------------------------------------------------------------


def code_classifier_accuracy(Z_train, y_train, Z_test, y_test, *, seed: int = 0) -> float:
    """Test accuracy of a small classifier (RBF support-vector machine on standardised codes) trained on
    frozen codes."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    clf = make_pipeline(StandardScaler(), SVC(C=10.0, gamma="scale", random_state=seed))
    clf.fit(np.asarray(Z_train), np.asarray(y_train))
    return float(clf.score(np.asarray(Z_test), np.asarray(y_test)))


# --- sampling -------------------------------------------------------------------------------------


def gmm_sample(Z: np.ndarray, n_components: int, n_samples: int, *, seed: int = 0) -> np.ndarray:
    """Fit a Gaussian mixture (full covariances) to codes ``Z`` (m, d) and draw ``n_samples`` codes."""
    from sklearn.mixture import GaussianMixture

    Z = np.asarray(Z, np.float64)
    if not 1 <= n_components <= len(Z):
        raise ValueError(f"The mixture needs between 1 and {len(Z)} components.")
    gmm = GaussianMixture(n_components, covariance_type="full", reg_covar=1e-4, random_state=seed).fit(Z)
    gmm.random_state = seed
    S, _ = gmm.sample(n_samples)
    rng = np.random.default_rng(seed)
    return S[rng.permutation(len(S))].astype(np.float32)  # sample() returns the draws sorted by component


def prior_sample(latent_dim: int, n: int, seed: int = 0) -> np.ndarray:
    """n draws from N(0, I): (n, latent_dim) float32."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


# --- two moons: a 1-unit bottleneck ---------------------------------------------------------------


def moons_curve(model: ae.AutoEncoder, Z: np.ndarray, n: int = 300) -> np.ndarray:
    """The decoder's image of the code interval spanned by ``Z`` (m, 1), widened by 10 %: (n, 2) points,
    the 1-D manifold the autoencoder projects onto."""
    lo, hi = float(np.min(Z)), float(np.max(Z))
    pad = 0.1 * (hi - lo + 1e-6)
    return ae.decode(model, np.linspace(lo - pad, hi + pad, n)[:, None])


# --- baselines beside the autoencoders' numbers -----------------------------------------------------


def numerical_rank(Z: np.ndarray, rtol: float = 1e-4) -> int:
    """Numerical rank of codes ``Z`` (n, d) after centring: the number of singular values above ``rtol``
    times the largest (float32 codes: 1e-4 sits well above rounding, about 1e-7 times n). A code that
    a narrow layer squeezes into fewer dimensions shows a rank below d. 0 for codes that are not finite."""
    Z = np.asarray(Z, np.float64)
    if Z.size == 0 or not np.isfinite(Z).all():  # no rank for codes with NaN (a spy test's test digits)
        return 0
    s = np.linalg.svd(Z - Z.mean(0), compute_uv=False)
    return int(np.sum(s > rtol * s.max())) if s.max() > 0 else 0


def pca_reconstruction_mse(
    X_fit: np.ndarray, X: np.ndarray, n_components: int, *, seed: int = 0, clip: bool = True
) -> float:
    """PCA with ``n_components`` fitted on ``X_fit`` (m, D): mean squared error per coordinate (pixel)
    of its reconstructions of ``X`` (n, D), clipped to the range [min, max] of ``X_fit`` when ``clip``
    (images: a sigmoid decoder cannot leave [0, 1] either). The linear baseline of an autoencoder with
    a code of that size."""
    from sklearn.decomposition import PCA

    X_fit, X = np.asarray(X_fit, np.float64), np.asarray(X, np.float64)
    if not np.isfinite(X).all():  # PCA refuses NaN; an image with a missing pixel has no error
        return float("nan")
    n = max(1, min(int(n_components), X_fit.shape[1], len(X_fit)))
    pca = PCA(n, random_state=seed).fit(X_fit)
    rec = pca.inverse_transform(pca.transform(X))
    if clip:
        rec = np.clip(rec, X_fit.min(), X_fit.max())
    return float(((rec - X) ** 2).mean())


def binarise(X: np.ndarray) -> np.ndarray:
    """Pixels in [0, 1] -> 0/1 at threshold 0.5 (float32): Bernoulli outcomes, so likelihoods are proper.
    NaN stays NaN (a missing pixel is not a dark one)."""
    X = np.asarray(X, np.float32)
    return np.where(np.isnan(X), np.nan, X > 0.5).astype(np.float32)


def independent_pixel_nll(X_fit: np.ndarray, X: np.ndarray, alpha: float = 1.0) -> float:
    """Negative log-likelihood per image (nats) of ``X`` (n, D) under independent Bernoulli pixels with
    probabilities fitted on ``X_fit`` (m, D) (Laplace smoothing ``alpha``: no pixel gets probability 0
    or 1). On 0/1 images this is an exact NLL; on grey pixels it is a binary cross-entropy in the same
    units as a VAE's BCE reconstruction term (not a likelihood)."""
    X_fit, X = np.asarray(X_fit, np.float64), np.asarray(X, np.float64)
    p = (X_fit.sum(0) + alpha) / (len(X_fit) + 2 * alpha)  # (D,)
    return float(-(X * np.log(p) + (1 - X) * np.log1p(-p)).sum(1).mean())


def mmd_to_prior(Z: np.ndarray, *, kernel: str = "rbf", bandwidth: float = 1.0, seed: int = 0) -> float:
    """Unbiased MMD^2 between codes ``Z`` (n, d) and as many N(0, I) draws (seeded), with the kernel
    of :func:`annlab.latent.autoencoders.mmd`: 0 when the codes follow the prior."""
    import torch

    Z = torch.as_tensor(np.asarray(Z, np.float32))
    prior = torch.as_tensor(prior_sample(Z.shape[1], len(Z), seed))
    return float(ae.mmd(Z, prior, kernel, bandwidth))
