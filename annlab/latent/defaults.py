"""The configs the Latent space page starts from, the train specs built from them, and the warm-up.

The view, :func:`warm` and the tests read every default from here. Spec builders apply fast mode
(:func:`annlab.settings.quick`, two epochs) when they are called, so a test and the page train the
same small models and a warmed store answers both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from annlab.controls import Control
from annlab.data import digit_split, two_moons
from annlab.latent import autoencoders as ae
from annlab.latent import codes
from annlab.latent import gan as gan_mod
from annlab.settings import quick
from annlab.training import TrainSpec

MODELS = {
    "Autoencoder (dense)": dict(kind="ae", arch="dense"),
    "Autoencoder (convolutional)": dict(kind="ae", arch="conv"),
    "VAE (dense)": dict(kind="vae", arch="dense"),
    "VAE (convolutional)": dict(kind="vae", arch="conv"),
    "MMD autoencoder (codes pushed to N(0, I))": dict(kind="mmd", arch="dense", beta=100.0),
}
GANS = {"GAN (dense)": "dense", "DCGAN (convolutional)": "dcgan"}
DATASETS = {"MNIST-5k (28x28)": "mnist", "8x8 digits": "digits8"}
TABS = (
    "Map & interpolation",
    "Reconstructions & bottleneck",
    "Sampling",
    "Clustering & classifying",
    "Two moons",
    "Denoising",
)
DEFAULT_DATA = "MNIST-5k (28x28)"
DEFAULT_MODEL = "VAE (dense)"
DEFAULT_LATENT = 2
DEFAULT_LOSS = "bce"
DEFAULT_GAN = "GAN (dense)"
CLUSTER_MODEL = "VAE (dense)"  # codes used for clustering: its KL term packs the classes into blobs
CLUSTER_LATENT = 16
STEPS = 9  # decoded codes in the interpolation strip
T = 0.5  # position along the path
GRID = 15  # tiles per side of the decoder's map
GMM_COMPONENTS = 10
N_SAMPLES = 300  # samples judged per source
GAN_DRAWS = (1, 2)  # the two prior draws of the GAN slide
DENOISE_KIND = "blur"
DENOISE_LEVEL = {"blur": 1.5, "noise": 0.5}  # trained at these, and the test sliders start there
MOONS_N = 1000
MOONS_NOISE = (0.05, 0.1, 0.2, 0.3)  # training noise levels offered
MOONS_TRAIN_NOISE = 0.1
MOONS_TEST_NOISE = 0.1
FAST_EPOCHS = 2
CONFIDENT = codes.CONFIDENT  # a sample is "recognised" when the forest's top class gets this probability
LOSS_HELP = "bce: binary cross-entropy (pixels as probabilities); mse: squared error; l1: absolute error."
PATH_HELP = (
    "Spherical follows a great circle: codes keep the length typical of a N(0, I) prior (VAE, MMD-AE). "
    "With 2-D codes the map shows the path (dashed) and the decoded point (diamond)."
)

# The page's controls: URL key (shared links carry it), label, default, range
DATA = Control("selectbox", "Data", "lat_data", DEFAULT_DATA, {"options": list(DATASETS)})
MODEL = Control("selectbox", "Model", "lat_model", DEFAULT_MODEL, {"options": list(MODELS)})
LATENT = Control("selectbox", "Latent size", "lat_dim", DEFAULT_LATENT, {"options": list(ae.LATENT_SIZES)})
LOSS = Control(
    "selectbox",
    "Reconstruction loss",
    "lat_loss",
    DEFAULT_LOSS,
    {"options": list(ae.LOSSES), "help": LOSS_HELP},
)
START = Control("selectbox", "Start", "lat_start", "test digit", {"options": ["test digit", "my drawing"]})
T_SLIDER = Control(
    "slider", "Position along the path", "lat_t", T, {"min_value": 0.0, "max_value": 1.0, "step": 0.05}
)
PROJECTION = Control(
    "radio", "Show codes with", "lat_proj", "PCA", {"options": ["PCA", "t-SNE"], "horizontal": True}
)
GRID_SIZE = Control("slider", "Grid size", "lat_grid", GRID, {"min_value": 5, "max_value": 25})
GMM = Control(
    "slider", "Gaussian-mixture components", "lat_gmm", GMM_COMPONENTS, {"min_value": 1, "max_value": 30}
)
GAN = Control("radio", "GAN", "lat_gan", DEFAULT_GAN, {"options": list(GANS), "horizontal": True})
_DRAW = {"min_value": 0, "max_value": 9999, "step": 1}
GAN_A = Control("number_input", "First draw #", "lat_gan_a", GAN_DRAWS[0], _DRAW)
GAN_B = Control("number_input", "Second draw #", "lat_gan_b", GAN_DRAWS[1], _DRAW)
GAN_T = Control(
    "slider", "Position along the path", "lat_gan_t", T, {"min_value": 0.0, "max_value": 1.0, "step": 0.05}
)
CLUSTER_MAIN = Control(
    "toggle",
    f"Cluster the codes of the model chosen above (else a {CLUSTER_LATENT}-D dense VAE)",
    "lat_clu_main",
    False,
)
MOON_TRAIN = Control(
    "select_slider",
    "Noise of the training data",
    "lat_moon_train",
    MOONS_TRAIN_NOISE,
    {"options": list(MOONS_NOISE)},
)
MOON_TEST = Control(
    "slider",
    "Noise of the test data",
    "lat_moon_test",
    MOONS_TEST_NOISE,
    {"min_value": 0.0, "max_value": 0.5, "step": 0.05},
)
DN_KIND = Control(
    "radio", "Corruption", "lat_dn_kind", DENOISE_KIND, {"options": list(DENOISE_LEVEL), "horizontal": True}
)
DN_LEVEL = {  # the slider of each corruption
    "blur": Control(
        "slider",
        "Blur sigma (pixels)",
        "lat_dn_sigma",
        DENOISE_LEVEL["blur"],
        {"min_value": 0.0, "max_value": 3.0, "step": 0.1},
    ),
    "noise": Control(
        "slider",
        "Noise standard deviation",
        "lat_dn_std",
        DENOISE_LEVEL["noise"],
        {"min_value": 0.0, "max_value": 1.0, "step": 0.05},
    ),
}


def path_control(prior: bool) -> Control:
    """The path of the slide: spherical by default for a model with a N(0, I) prior, else linear."""
    default = "spherical" if prior else "linear"
    return Control(
        "radio",
        "Path",
        "lat_path",
        default,
        {"options": ["linear", "spherical"], "horizontal": True, "help": PATH_HELP},
    )


def end_controls(start: int, end: int, last: int) -> tuple[Control, Control]:
    """The numbers of the two test digits a slide starts and ends on (they depend on the data set).

    A number kept from the larger data set above ``last`` falls back to the default (the native widget
    does that when its ``max_value`` changes; tested)."""
    kw = {"min_value": 0, "max_value": last, "step": 1}
    return (
        Control("number_input", "Start test digit #", "lat_ia", start, kw),
        Control("number_input", "End test digit #", "lat_ib", end, kw),
    )


def model_config(
    model: str,
    dataset: str = "mnist",
    latent_dim: int = DEFAULT_LATENT,
    loss: str = DEFAULT_LOSS,
    **overrides,
) -> ae.AEConfig:
    """The default :class:`~annlab.latent.autoencoders.AEConfig` for a model name of :data:`MODELS`."""
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose one of {list(MODELS)}.")
    dim = 784 if dataset == "mnist" else 64
    hidden = (512, 128) if dataset == "mnist" else (128, 64)
    epochs = 30 if dataset == "mnist" else 60
    kw = dict(
        MODELS[model], input_dim=dim, latent_dim=latent_dim, loss=loss, hidden=hidden, num_epochs=epochs
    )
    if kw["arch"] == "conv":
        kw.update(num_epochs=max(10, epochs // 3), hidden=(128,))
    kw.update(overrides)
    return ae.AEConfig(**kw)


def denoise_config(kind: str = DENOISE_KIND, dataset: str = "mnist") -> ae.AEConfig:
    """The denoising autoencoder of the page: dense, 32-D codes, trained on blur (sigma 1.5 pixels) or
    Gaussian noise (std 0.5). Dense beat a convolutional one here: after 20 epochs the forest
    recognised 80 % of its outputs against 70 % for a conv AE after 20 epochs (500 blurred test digits)."""
    if kind not in DENOISE_LEVEL:
        raise ValueError(f"Unknown corruption {kind!r}; choose 'blur' or 'noise'.")
    return model_config(
        "Autoencoder (dense)",
        dataset,
        32,
        corrupt=kind,
        corrupt_level=DENOISE_LEVEL[kind],
        num_epochs=20 if dataset == "mnist" else 60,
    )


def gan_config(arch: str = "dense", dataset: str = "mnist", latent_dim: int = 32, **overrides):
    """The default :class:`~annlab.latent.gan.GANConfig` for ``arch`` ("dense" or "dcgan")."""
    dim = 784 if dataset == "mnist" else 64
    kw = dict(
        arch=arch,
        input_dim=dim,
        latent_dim=latent_dim,
        hidden=(256, 512) if dataset == "mnist" else (128, 256),
        batch_size=32,
        num_epochs=(60 if arch == "dense" else 10) if dataset == "mnist" else 100,
    )
    kw.update(overrides)
    return gan_mod.GANConfig(**kw)


def moons_config(kind: str = "ae", latent_dim: int = 1, **overrides) -> ae.AEConfig:
    """A small dense autoencoder for 2-D points (linear output, MSE)."""
    kw = dict(
        kind=kind,
        input_dim=2,
        latent_dim=latent_dim,
        hidden=(64, 64),
        loss="mse",
        bounded=False,
        beta=20.0 if kind == "mmd" else 1.0,
        num_epochs=150,
        batch_size=64,
        lr=3e-3,
    )
    kw.update(overrides)
    return ae.AEConfig(**kw)


# --- train specs: what the view hands to ui.train and warm to the store ---------------------------


def ae_spec(cfg: ae.AEConfig, dataset: str = "mnist", seed: int = 0, label: str | None = None) -> TrainSpec:
    """An autoencoder trained on the train split of ``dataset`` (test loss recorded per epoch)."""

    def data():
        digits = digit_split(dataset, seed=seed)
        return digits.X_train, digits.X_test

    return TrainSpec(
        quick(cfg, num_epochs=FAST_EPOCHS),
        ae.train_autoencoder,
        ae.build,
        data,
        data_key=dataset,
        seed=seed,
        label=label or cfg.label,
        curves=("loss", "test_loss"),
    )


def main_spec(
    model: str = DEFAULT_MODEL,
    dataset: str = "mnist",
    latent_dim: int = DEFAULT_LATENT,
    loss: str = DEFAULT_LOSS,
    seed: int = 0,
) -> TrainSpec:
    """The model chosen by the four selectors above the tabs."""
    return ae_spec(model_config(model, dataset, latent_dim, loss), dataset, seed)


def sweep_specs(main: TrainSpec, dataset: str, seed: int = 0) -> list[TrainSpec]:
    """The main model at every latent size of :data:`~annlab.latent.autoencoders.LATENT_SIZES`."""
    return [
        ae_spec(replace(main.cfg, latent_dim=d), dataset, seed, f"latent size {d}") for d in ae.LATENT_SIZES
    ]


def cluster_spec(dataset: str = "mnist", seed: int = 0) -> TrainSpec:
    """The VAE whose codes the clustering tab uses unless told to take the main model."""
    return ae_spec(model_config(CLUSTER_MODEL, dataset, CLUSTER_LATENT), dataset, seed)


def denoise_spec(kind: str = DENOISE_KIND, dataset: str = "mnist", seed: int = 0) -> TrainSpec:
    """The denoising autoencoder of the last tab."""
    return ae_spec(denoise_config(kind, dataset), dataset, seed)


def gan_spec(gan: str = DEFAULT_GAN, dataset: str = "mnist", seed: int = 0) -> TrainSpec:
    """A GAN of :data:`GANS` trained on the train digits of ``dataset``."""
    cfg = gan_config(GANS[gan], dataset)
    return TrainSpec(
        quick(cfg, num_epochs=FAST_EPOCHS),
        gan_mod.train_gan,
        gan_mod.build_gan,
        lambda: digit_split(dataset, seed=seed).X_train,
        data_key=dataset,
        seed=seed,
        label=cfg.label,
        curves=("g_loss", "d_loss"),
    )


def moons_specs(noise: float = MOONS_TRAIN_NOISE, seed: int = 0) -> dict[str, TrainSpec]:
    """The two-moons models: a 1-unit AE and an MMD-AE with a 1-D N(0, 1) code, at training noise
    ``noise`` (train and test points from two seeds)."""

    def data():
        return (
            two_moons(MOONS_N, noise=noise, seed=seed)[0],
            two_moons(MOONS_N, noise=noise, seed=seed + 1000)[0],
        )

    return {
        kind: TrainSpec(
            quick(moons_config(kind), num_epochs=FAST_EPOCHS),
            ae.train_autoencoder,
            ae.build,
            data,
            data_key=f"moons-noise{noise:g}",
            seed=seed,
            label=f"the two-moons {kind.upper()}",
            curves=("loss", "test_loss"),
        )
        for kind in ("ae", "mmd")
    }


def default_specs(seed: int = 0) -> dict[str, TrainSpec]:
    """Every model the page trains on its defaults, in any tab, by role."""
    dataset = DATASETS[DEFAULT_DATA]
    moons = moons_specs(MOONS_TRAIN_NOISE, seed)
    return {
        "main": main_spec(seed=seed),
        "gan": gan_spec(DEFAULT_GAN, dataset, seed),
        "cluster": cluster_spec(dataset, seed),
        "moons_ae": moons["ae"],
        "moons_mmd": moons["mmd"],
        "denoise": denoise_spec(DENOISE_KIND, dataset, seed),
    }


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train (or load) into the model store every model the page trains on its defaults."""
    for role, spec in default_specs().items():
        if epochs:
            spec = replace(spec, cfg=replace(spec.cfg, num_epochs=epochs))
        result = spec.run(device)
        report(f"{role}: {spec.label} {'loaded' if result.from_cache else 'trained'}")
