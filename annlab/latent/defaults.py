"""The configs the Latent space page starts from, the train specs built from them, and the warm-up.

The view, :func:`warm` and the tests read every default from here. Spec builders apply fast mode
(:func:`annlab.settings.quick`, two epochs) when they are called, so a test and the page train the
same small models and a warmed store answers both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from annlab.controls import Control
from annlab.data import two_moons
from annlab.judge import CONFIDENT
from annlab.latent import autoencoders as ae
from annlab.latent import gan as gan_mod
from annlab.latent.splits import VAL_SHARE, splits
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
    "GAN",
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
LEAD = "An autoencoder squeezes each digit through a few numbers, its **code**, and rebuilds it from there."
LOOK_FOR = (
    "Digits of one class landing near each other in the code plane; a slide between two codes that morphs "
    "one digit into another (smoothly for a VAE, with blurry ghosts for a plain autoencoder); new digits "
    "decoded from sampled codes, and whether a classifier recognises them; and whether clusters of codes "
    "are the digit classes at all."
)
TSNE_NOTE = (
    "t-SNE first places the codes of all digits (fit digits unlabelled) on a plane; k-means runs there."
)
SWEEP_NOTE = "trains the model above at every latent size, once"
STUDY_BUTTON = "Run seed 003's studies"
STUDY_NOTE = (
    "two grids and repeated training on two moons, 8x8 digits through bottlenecks 2, 4, 8, then seed "
    "003's grid of 80 small 8x8 autoencoders scored on validation digits carved from the train split"
)
DIGITS8_CAPTION = "8x8 test digits (top), then their reconstructions through bottlenecks 2, 4 and 8"
MOONS_ERROR = "Test encode-decode error (an upper bound on the squared distance to the line)"
LOSS_HELP = "bce: binary cross-entropy (pixels as probabilities); mse: squared error; l1: absolute error."
PATH_HELP = (
    "Spherical follows a great circle. In many dimensions the codes of a N(0, I) prior (VAE, MMD-AE) "
    "have a typical length, about sqrt(d), and the straight line between two of them runs through "
    "shorter, untypical codes; spherical keeps lengths between the two ends' lengths. In 2-D there is no "
    "typical length, so the two paths differ little. With 2-D codes the map shows the path (dashed) and "
    "the decoded point (diamond)."
)
EPOCHS = {"mnist": 20, "digits8": 60}  # the same for dense and convolutional models (equal budgets)
BATCH = 128
SNAP_EPOCHS = (1, 5, 10, 15, 20)  # reconstructions at these epochs, as seed 002 shows them
BETAS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)
MAPPINGS = {
    "hungarian": "one-to-one (Hungarian)",
    "majority": "majority vote",
    "unmatched": "unmatched cluster ids",
}
MAPPING_HELP = (
    "k-means numbers its clusters arbitrarily. Unmatched: the cluster id is read as the digit (about "
    "10 % by chance, how seed 004 got ~7 %). Majority vote: each cluster takes its most common digit "
    "(two clusters may take the same one; seed 002). Hungarian: the one-to-one matching of clusters to "
    "digits with most agreement."
)
TSNE_CAVEATS = (
    "t-SNE caveats: distances between islands and their sizes on the map mean nothing; a new digit "
    "cannot be placed on the map without refitting it; the map was fitted on these very digits (train "
    "digits unlabelled, test digits scored), so this is not a held-out score for new digits."
)
CLUSTER_LEAD = "k-means (k = 10) on held-out test digits; the labels are used only to score the clusters."
CLUSTER_NOTES = f"{MAPPING_HELP}\n\n{TSNE_NOTE} {TSNE_CAVEATS}"
MOONS_LEAD = "Two moons through a **one-number** bottleneck: the decoder can only draw a curve."
DENOISE_LEAD = "A **denoising** autoencoder sees corrupted digits and is trained to give back clean ones."
CURVES_NOTE = "Per epoch on the fit digits and on validation digits carved from the train split (reg: KL)."
GRID_INFO = "Pick latent size 2 to see the decoder's whole map of the latent plane as a grid of digits."
SWEEP_BUTTON = "Train across latent sizes"
GAN_LATENTS = (10, 20, 32, 64)
GAN_PRESETS = {
    "my settings (controls below)": None,
    "discriminator much stronger (seed 001 §4.2 Q2)": dict(lr_d=1e-3, lr_g=1e-4, d_steps=5),
}
GAN_EMA = 0.999  # decay of the generator's weight average that samples are drawn from
EMA_HELP = (
    "Samples come from a running average of the generator's weights (over about the last tenth of the "
    "steps, at most the last 1,000) instead of its latest weights: the average irons out the "
    "step-to-step wobble of the game, so strokes are cleaner and the background has fewer specks "
    "(Yazici et al. 2019). Training is unchanged: the discriminator always plays the live generator."
)
SMOOTH_HELP = (
    "One-sided smoothing trains D towards 0.9 on real digits: its optimum becomes 0.9 p_data / "
    "(p_data + p_g) instead of p_data / (p_data + p_g), so at equilibrium (p_g = p_data) it says 0.45, "
    "not 0.5, and it is never pushed to full confidence."
)
MOONS_GMM = 4
MOONS_LAMBDAS = (1.0, 10.0, 100.0, 1000.0)
MOONS_BANDWIDTHS = (0.25, 0.5, 1.0, 2.0)
MOONS_GRID = dict(sizes=(250, 500, 1000), steps=(50, 150, 300), lrs=(0.003, 0.002, 0.001, 0.0005))
MOONS_NET_GRID = dict(hidden=(10, 20, 50), layers=(1, 2, 3, 4))
MOONS_REPEATS = 5
STUDY = dict(grid=MOONS_GRID, net_grid=MOONS_NET_GRID, repeats=MOONS_REPEATS)  # + DIGITS8_GRID below
DIGITS8_BOTTLENECKS = (2, 4, 8)  # seed 003's sizes; 4 is its pick
DIGITS8_GRID = dict(  # seed 003's grid on the 8x8 digits (2-D code, 65 hidden units), full-batch Adam
    sizes=(300, 500, 800, 1000), steps=(50, 100, 300, 500, 1000), lrs=(0.003, 0.002, 0.001, 0.0005)
)
STUDY["grid8"] = DIGITS8_GRID
SEED002 = {  # seed 002's four models: (model, latent size)
    "dense AE, 2-D": ("Autoencoder (dense)", 2),
    "convolutional AE, 2-D": ("Autoencoder (convolutional)", 2),
    "dense AE, 32-D": ("Autoencoder (dense)", 32),
    "convolutional AE, 32-D": ("Autoencoder (convolutional)", 32),
}
SEED002_BUTTON = "Train seed 002's four autoencoders"
SEED002_NOTE = "dense and convolutional at 2 and 32 dimensions, the page's budget; the conv ones are slow"
SEED002_CAPTION = (
    "Test MSE per pixel with PCA of the same size beside it; training seconds as recorded when the "
    "model was trained (wall time on that machine and its load at the time: compare ratios, not seconds)."
)
DENOISE_LATENTS = (2, 16, 32, 256)  # seed 004 compares 2, 16, 256

# The page's controls: URL key (shared links carry it), label, default, range
DATA = Control("selectbox", "Data", "lat_data", DEFAULT_DATA, {"options": list(DATASETS)})
MODEL = Control("selectbox", "Model", "lat_model", DEFAULT_MODEL, {"options": list(MODELS)})
LATENT_HELP = "600 (seed 001 §4.3's VAE) is offered for every model; the sweep below stops at 256."
LATENT = Control(
    "selectbox",
    "Latent size",
    "lat_dim",
    DEFAULT_LATENT,
    {"options": list(ae.VAE_LATENT_SIZES), "help": LATENT_HELP},
)
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
EPOCH_CTRL = {
    name: Control("number_input", "Epochs", "lat_epochs", n, {"min_value": 1, "max_value": 200})
    for name, n in EPOCHS.items()
}
BATCH_CTRL = Control("selectbox", "Batch size", "lat_batch", BATCH, {"options": [16, 32, 64, 128, 256]})
BETA = Control(
    "select_slider",
    "beta (weight of the KL term)",
    "lat_beta",
    1.0,
    {"options": list(BETAS), "help": "beta = 1: the ELBO; beta = 0: a plain autoencoder with noisy codes."},
)
MAPPING = Control(
    "radio",
    "Clusters to digits",
    "lat_map",
    "hungarian",
    {"options": list(MAPPINGS), "format_func": MAPPINGS.get, "horizontal": True, "help": MAPPING_HELP},
)
MOON_GMM = Control(
    "slider", "GMM components (AE codes)", "lat_moon_gmm", MOONS_GMM, {"min_value": 1, "max_value": 10}
)
MOON_MMD = {  # the 2-D MMD autoencoder of two moons (RBF kernel): moons_specs' arguments
    "beta": Control(
        "select_slider", "MMD weight lambda", "lat_moon_lam", 10.0, {"options": list(MOONS_LAMBDAS)}
    ),
    "bandwidth": Control(
        "select_slider", "RBF bandwidth", "lat_moon_bw", 1.0, {"options": list(MOONS_BANDWIDTHS)}
    ),
}
MOON_TABLE = {"train_noise": MOON_TRAIN, "test_noise": MOON_TEST, "n_gmm": MOON_GMM, **MOON_MMD}
DN_DIM = Control("selectbox", "Denoiser's latent size", "lat_dn_dim", 32, {"options": list(DENOISE_LATENTS)})
GAN_PRESET = Control(
    "radio", "Preset", "lat_gan_preset", next(iter(GAN_PRESETS)), {"options": list(GAN_PRESETS)}
)
GAN_LRS = [5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3]  # the defaults (2e-3, 1e-3) sit inside the range
GAN_TABLE = {  # field of gan_config -> control
    "lr_g": Control("select_slider", "Generator lr", "lat_gan_lrg", 2e-3, {"options": GAN_LRS}),
    "lr_d": Control("select_slider", "Discriminator lr", "lat_gan_lrd", 1e-3, {"options": GAN_LRS}),
    "d_steps": Control("slider", "D steps per G step", "lat_gan_k", 1, {"min_value": 1, "max_value": 10}),
    "smooth": Control("toggle", "Label smoothing (0.9)", "lat_gan_smooth", True, {"help": SMOOTH_HELP}),
    "ema": Control("toggle", "Sample from averaged weights", "lat_gan_ema", True, {"help": EMA_HELP}),
    "g_loss": Control(
        "radio", "Generator loss", "lat_gan_loss", "non-saturating", {"options": list(gan_mod.G_LOSSES)}
    ),
    "latent_dim": Control("selectbox", "Latent size", "lat_gan_dim", 32, {"options": list(GAN_LATENTS)}),
    "num_epochs": Control("number_input", "Epochs", "lat_gan_ep", 100, {"min_value": 1, "max_value": 300}),
    "batch_size": Control("selectbox", "Batch size", "lat_gan_bs", 32, {"options": [16, 32, 64, 128, 256]}),
}
TOP = {"data": DATA, "model": MODEL, "latent_dim": LATENT, "loss": LOSS}  # the row above the tabs
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


def budget_controls(dataset: str, vae: bool) -> dict[str, Control]:
    """The main model's training budget (and a VAE's beta): config field -> control."""
    return {"num_epochs": EPOCH_CTRL[dataset], "batch_size": BATCH_CTRL, **({"beta": BETA} if vae else {})}


def grid_caption(prior: bool) -> str:
    """What the decoder's map spans."""
    span = "N(0, 1) quantiles 2.5 %..97.5 %" if prior else "1st..99th percentile of the codes"
    return f"Each tile decodes one point of a regular grid over the latent plane ({span})."


def elbo_help(vae, loss: str) -> str:
    """What the test ELBO (a :class:`~annlab.latent.experiments.VAEReport`) is made of, in words."""
    unit = (
        "nats of binary cross-entropy on grey-level pixels: a cross-entropy, not a log-likelihood bound, "
        "since grey pixels are not Bernoulli outcomes"
        if loss == "bce"
        else f"{loss} units, so not a log-likelihood bound"
    )
    terms = f"-(reconstruction {vae.recon:.1f} + KL {vae.kl:.2f})"
    return f"{terms} per test digit, in {unit}; KL near 0: collapse."


def elbo_caption(vae, loss: str) -> str:
    """The VAE's test ELBO beside the independent-pixel Bernoulli model, in the same units."""
    grey = (
        f"On grey-level pixels (BCE units, not a likelihood): VAE -ELBO **{-vae.elbo:.1f}**, independent "
        f"pixels **{vae.pixel_bce:.1f}** per test digit. "
        if loss == "bce"
        else ""
    )
    better = "beats" if -vae.bin_elbo < vae.bin_pixel_nll else "does not beat"
    return (
        f"{grey}On the test digits binarised at 0.5 (a proper likelihood, nats per digit): the VAE's "
        f"bound -ELBO **{-vae.bin_elbo:.1f}**, the independent-pixel Bernoulli model's exact NLL "
        f"**{vae.bin_pixel_nll:.1f}** (fitted on the binarised fit digits): the VAE {better} it."
    )


def recon_caption(rec) -> str:
    """The test MSE beside PCA of the same size, and the codes' rank."""
    verdict = (
        "the autoencoder beats PCA here"
        if rec.mse < rec.pca_mse
        else "PCA beats the autoencoder here (too few epochs or a saturated code)"
    )
    return (
        f"Test MSE per pixel: autoencoder **{rec.mse:.4f}**, PCA with {rec.pca_components} components "
        f"**{rec.pca_mse:.4f}** (fitted on the fit digits): {verdict}. The test codes span "
        f"{rec.rank} of {rec.latent_dim} dimensions (numerical rank)."
    )


def moons_caption(view) -> str:
    """The two-moons errors beside PCA with one component, and the codes' distance to N(0, I)."""
    mmd = view.mmd_prior or {}
    m, p = mmd.get("MMD autoencoder", float("nan")), mmd.get("plain autoencoder (2-D code)", float("nan"))
    closer = "closer to" if m < p else "not closer to"
    return (
        f"Test error (mean squared distance per point): 1-unit AE **{view.rec_err:.3f}**, PCA with one "
        f"component **{view.pca_err:.3f}**; MMD-AE (2-D code) **{view.mmd_err:.3f}**. MMD² between the "
        f"test codes and N(0, I): MMD-AE **{m:.4f}**, plain AE with a 2-D code **{p:.4f}** (the MMD-AE's "
        f"kernel; an unbiased estimate, so it can dip just below 0 when the codes match): its codes are "
        f"{closer} the prior."
    )


SWEEP_TEST = "Test scores: scored once after training, not for choosing a size"


def gan_epochs_caption(ep) -> str:
    """Caption of the GAN's samples at chosen epochs (a :class:`~annlab.latent.experiments.GANEpochs`),
    and which generator drew them."""
    epochs, recognised, source = ep.epochs, ep.recognised, ep.source
    last = (
        f"; after the last epoch the judge recognises {recognised[-1]:.0%} of them" if len(recognised) else ""
    )
    return f"100 fixed codes, the first 10 after epochs {list(epochs)} (rows), drawn by the {source}{last}."


def preset_caption(preset: dict) -> str:
    """The settings a GAN preset fixes, then what label smoothing does."""
    return "Preset: " + ", ".join(f"{k} = {v:g}" for k, v in preset.items()) + ". " + SMOOTH_HELP


def svm_caption(codes_acc: float, pixels_acc: float) -> str:
    """The classifier on codes beside its baseline on raw pixels."""
    return (
        f"SVM test accuracy on frozen codes **{codes_acc:.1%}**; raw pixels (baseline) **{pixels_acc:.1%}**"
    )


def judge_caption(accuracy: float, real: float) -> str:
    """How the sampling tab's judge works, with its own scores on real test digits."""
    return (
        f"A random forest (test accuracy {accuracy:.1%}) labels every sample, recognised if its top class "
        f"gets probability >= {CONFIDENT:g} (true of {real:.0%} of real test digits). The GAN here has the "
        "GAN tab's default settings."
    )


def snapshot_control(num_epochs: int, key: str = "lat_snap") -> Control:
    """Which epochs' reconstructions (or GAN samples) to show: 1..num_epochs, seed 002's by default."""
    options = list(range(1, num_epochs + 1))
    default = [e for e in SNAP_EPOCHS if e <= num_epochs] or [num_epochs]
    if key != "lat_snap":  # GAN: five epochs spread over the run
        default = sorted({max(1, round(num_epochs * f)) for f in (0.05, 0.25, 0.5, 0.75, 1.0)})
    return Control("multiselect", "Show the epochs", key, default, {"options": options})


def model_config(
    model: str,
    dataset: str = "mnist",
    latent_dim: int = DEFAULT_LATENT,
    loss: str = DEFAULT_LOSS,
    **overrides,
) -> ae.AEConfig:
    """The default :class:`~annlab.latent.autoencoders.AEConfig` for a model name of :data:`MODELS`.

    Dense and convolutional models get the same budget (epochs and batch size), so a comparison
    between them is fair (seed 002 trains both for 25 epochs)."""
    if model not in MODELS:
        raise ValueError(f"Unknown model {model!r}; choose one of {list(MODELS)}.")
    dim = 784 if dataset == "mnist" else 64
    hidden = ae.widths(base_hidden(MODELS[model]["arch"], dataset), latent_dim)  # never narrower than z
    kw = dict(
        MODELS[model],
        input_dim=dim,
        latent_dim=latent_dim,
        loss=loss,
        hidden=hidden,
        num_epochs=EPOCHS[dataset],
        batch_size=BATCH,
    )
    kw.update(overrides)
    return ae.AEConfig(**kw)


DENOISE_MODEL = "Autoencoder (dense)"  # bench/denoiser_select.py's choice (denoiser_selection.json)


def denoise_config(
    kind: str = DENOISE_KIND, dataset: str = "mnist", latent_dim: int = DN_DIM.default
) -> ae.AEConfig:
    """The denoising autoencoder of the page: :data:`DENOISE_MODEL`, 32-D codes by default, trained on
    blur (sigma 1.5 pixels) or Gaussian noise (std 0.5). The architecture was chosen by
    ``bench/denoiser_select.py`` on validation digits carved from the train split (blurred, denoised,
    MSE against the clean digits; training seeds 10 and 11), never on the test digits it is scored on:
    table and choice in ``denoiser_selection.json``."""
    if kind not in DENOISE_LEVEL:
        raise ValueError(f"Unknown corruption {kind!r}; choose 'blur' or 'noise'.")
    return model_config(DENOISE_MODEL, dataset, latent_dim, corrupt=kind, corrupt_level=DENOISE_LEVEL[kind])


def gan_config(arch: str = "dense", dataset: str = "mnist", **overrides) -> gan_mod.GANConfig:
    """The default :class:`~annlab.latent.gan.GANConfig` for ``arch`` ("dense" or "dcgan"); the
    overrides are the GAN tab's settings (``smooth`` True/False stands for label smoothing 0.9/1.0,
    ``ema`` True/False for a generator weight average of decay :data:`GAN_EMA` or none).

    The defaults (dense, Adam lr 2e-3 for the generator and 1e-3 for the discriminator, 100 epochs of
    batch 32, samples from the weight average) were chosen by ``bench/gan_select.py`` (table in
    ``gan_selection.json``) on training seeds 10 and 11 only: the judge recognised 0.699 of 1,000 samples
    on average (0.720, 0.678), against 0.599 for the earlier pick (lr 1e-3, 40 epochs), 0.674 for 100
    epochs at lr 1e-3 and 0.668 for lr 2e-3 after 60 epochs (real test digits: 0.77). Dropout 0.3 in the
    discriminator (0.526) and spectral norm (0.49 on seed 10) did worse. About 146 CPU seconds at 1
    thread. More epochs buy the score partly with more ones (easy for the judge) and fewer zeros.
    ``bench/latent.py`` reports the defaults on training seeds 0, 1, 2."""
    dim = 784 if dataset == "mnist" else 64
    kw = {field: c.default for field, c in GAN_TABLE.items()}
    kw.update(arch=arch, input_dim=dim, hidden=(256, 512) if dataset == "mnist" else (128, 256))
    kw.update(overrides)
    kw["label_smoothing"] = 0.9 if kw.pop("smooth") else 1.0
    kw["ema"] = GAN_EMA if kw.pop("ema") else 0.0
    return gan_mod.GANConfig(**kw)


def moons_config(kind: str = "ae", latent_dim: int | None = None, **overrides) -> ae.AEConfig:
    """A small dense autoencoder for 2-D points (linear output, MSE): a 1-unit AE, or an MMD-AE with a
    2-D code pushed to N(0, I) by an RBF-kernel MMD (seed 003)."""
    kw = dict(
        kind=kind,
        input_dim=2,
        latent_dim=latent_dim or (2 if kind == "mmd" else 1),
        hidden=(64, 64),
        loss="mse",
        bounded=False,
        beta=MOON_MMD["beta"].default if kind == "mmd" else 1.0,
        kernel="rbf",
        bandwidth=MOON_MMD["bandwidth"].default,
        num_epochs=150,
        batch_size=64,
        lr=3e-3,
    )
    kw.update(overrides)
    return ae.AEConfig(**kw)


# --- train specs: what the view hands to ui.train and warm to the store ---------------------------


def ae_spec(cfg: ae.AEConfig, dataset: str = "mnist", seed: int = 0, label: str | None = None) -> TrainSpec:
    """An autoencoder fit on the train split of ``dataset`` less its validation share (the validation
    loss is recorded per epoch; the test digits stay unseen)."""

    def data():
        s = splits(dataset, seed)
        return s.X_fit, s.X_val, s.show

    return TrainSpec(
        quick(cfg, num_epochs=FAST_EPOCHS),
        ae.train_autoencoder,
        ae.build,
        data,
        data_key=f"{dataset}-val{VAL_SHARE:g}",
        seed=seed,
        label=label or cfg.label,
        curves=("loss", "val_loss"),
    )


def main_spec(
    model: str = DEFAULT_MODEL,
    dataset: str = "mnist",
    latent_dim: int = DEFAULT_LATENT,
    loss: str = DEFAULT_LOSS,
    seed: int = 0,
    **budget,
) -> TrainSpec:
    """The model chosen by the selectors above the tabs; ``budget``: ``num_epochs``, ``batch_size``,
    ``beta`` (VAE only) when set."""
    kw = {k: v for k, v in budget.items() if v is not None}
    if MODELS[model]["kind"] != "vae":
        kw.pop("beta", None)
    return ae_spec(model_config(model, dataset, latent_dim, loss, **kw), dataset, seed)


def base_hidden(arch: str, dataset: str) -> tuple[int, ...]:
    """The hidden widths of a model before they are widened for a wide code (:func:`ae.widths`)."""
    if arch == "conv":
        return (128,)
    return (512, 128) if dataset == "mnist" else (128, 64)


def sweep_specs(main: TrainSpec, dataset: str, seed: int = 0) -> list[TrainSpec]:
    """The main model at every latent size of :data:`~annlab.latent.autoencoders.LATENT_SIZES`, its
    hidden layers widened for each code as :func:`model_config` widens them."""
    base = base_hidden(main.cfg.arch, dataset)
    return [
        ae_spec(replace(main.cfg, latent_dim=d, hidden=ae.widths(base, d)), dataset, seed, f"latent size {d}")
        for d in ae.LATENT_SIZES
    ]


def seed002_specs(dataset: str = "mnist", loss: str = DEFAULT_LOSS, seed: int = 0) -> dict[str, TrainSpec]:
    """Seed 002's four autoencoders (dense and convolutional, 2-D and 32-D codes) at the page's budget."""
    return {
        name: ae_spec(model_config(model, dataset, d, loss), dataset, seed)
        for name, (model, d) in SEED002.items()
    }


def cluster_spec(dataset: str = "mnist", seed: int = 0) -> TrainSpec:
    """The VAE whose codes the clustering tab uses unless told to take the main model."""
    return ae_spec(model_config(CLUSTER_MODEL, dataset, CLUSTER_LATENT), dataset, seed)


def denoise_spec(
    kind: str = DENOISE_KIND, dataset: str = "mnist", seed: int = 0, latent_dim: int = DN_DIM.default
) -> TrainSpec:
    """The denoising autoencoder of the denoising tab."""
    return ae_spec(denoise_config(kind, dataset, latent_dim), dataset, seed)


def gan_spec(gan: str = DEFAULT_GAN, dataset: str = "mnist", seed: int = 0, **settings) -> TrainSpec:
    """A GAN of :data:`GANS` trained on the train digits of ``dataset`` (``settings``: the GAN tab's).

    The "ema" setting is a sampling switch, not a training setting: every GAN of the page keeps the
    weight average (decay :data:`GAN_EMA`) beside its live generator, so toggling which one draws the
    samples loads the same stored model instead of retraining it."""
    settings = {k: v for k, v in settings.items() if k != "ema"}
    cfg = gan_config(GANS[gan], dataset, **settings)
    return TrainSpec(
        quick(cfg, num_epochs=FAST_EPOCHS),
        gan_mod.train_gan,
        gan_mod.build_gan,
        lambda: splits(dataset, seed).X_fit,
        data_key=f"{dataset}-val{VAL_SHARE:g}",
        seed=seed,
        label=cfg.label,
        curves=("g_loss", "d_loss", "d_real", "d_fake"),
    )


MOONS_LABELS = {"ae": "the two-moons AE", "mmd": "the two-moons MMD", "ae2": "the two-moons AE (2-D code)"}


def moons_data(noise: float, seed: int = 0, n: int = MOONS_N):
    """Train and validation points of two moons at ``noise`` (two seeds; the test points use a third)."""
    return two_moons(n, noise=noise, seed=seed)[0], two_moons(n, noise=noise, seed=seed + 1000)[0]


def moons_specs(
    noise: float = MOONS_TRAIN_NOISE, seed: int = 0, beta: float | None = None, bandwidth: float | None = None
) -> dict[str, TrainSpec]:
    """The two-moons models: a 1-unit AE, an MMD-AE with a 2-D code pushed to N(0, I) (RBF kernel,
    weight ``beta``, ``bandwidth``), and a plain AE with a 2-D code (``ae2``, the MMD-AE's reference: how
    far from N(0, I) codes are without the penalty), at training noise ``noise``."""
    mmd = {k: v for k, v in dict(beta=beta, bandwidth=bandwidth).items() if v is not None}
    cfgs = {"ae": moons_config("ae"), "mmd": moons_config("mmd", **mmd), "ae2": moons_config("ae", 2)}
    return {
        kind: TrainSpec(
            quick(cfg, num_epochs=FAST_EPOCHS),
            ae.train_autoencoder,
            ae.build,
            lambda: moons_data(noise, seed),
            data_key=f"moons-noise{noise:g}",
            seed=seed,
            label=MOONS_LABELS[kind],
            curves=("loss", "val_loss"),
        )
        for kind, cfg in cfgs.items()
    }


def digits8_specs(seed: int = 0) -> list[TrainSpec]:
    """Seed 003's 8x8-digit autoencoders at bottlenecks 2, 4 and 8."""
    return [
        ae_spec(model_config("Autoencoder (dense)", "digits8", d, "mse"), "digits8", seed, f"8x8 AE ({d}-D)")
        for d in DIGITS8_BOTTLENECKS
    ]


def cnn_judge_spec(dataset: str, seed: int = 0) -> TrainSpec | None:
    """The CNN of the CNN page as a second judge of denoised MNIST digits (seed 004 used a CNN), or
    None for the 8x8 digits or while that page's package is not installed."""
    if dataset != "mnist":
        return None
    try:
        from annlab.cnn.defaults import default_spec
    except ImportError:
        return None
    return default_spec(seed=seed)


def first_tab_specs(seed: int = 0) -> dict[str, TrainSpec]:
    """The models the page's first tab (the one a first visit opens) trains on its defaults: only the
    main model (bench/latent.py times them: first_tab_train_s, goal <= 40 s on 2 cores)."""
    return {"main": main_spec(seed=seed)}


def default_specs(seed: int = 0) -> dict[str, TrainSpec]:
    """Every model the page trains on its defaults, in any tab, by role."""
    dataset = DATASETS[DEFAULT_DATA]
    moons = moons_specs(MOONS_TRAIN_NOISE, seed)
    return {
        **first_tab_specs(seed),
        "gan": gan_spec(DEFAULT_GAN, dataset, seed),
        "cluster": cluster_spec(dataset, seed),
        "moons_ae": moons["ae"],
        "moons_mmd": moons["mmd"],
        "moons_ae2": moons["ae2"],
        "denoise": denoise_spec(DENOISE_KIND, dataset, seed),
        **({"cnn_judge": cnn} if (cnn := cnn_judge_spec(dataset, seed)) is not None else {}),
    }


def _warm(
    specs: dict[str, TrainSpec], device: str, epochs: int | None, report: Callable[[str], None]
) -> None:
    from annlab.jobs import run_all

    if epochs:
        specs = {
            role: replace(spec, cfg=replace(spec.cfg, num_epochs=epochs)) for role, spec in specs.items()
        }
    results = run_all(list(specs.values()), device)  # the pool trains them side by side
    for (role, spec), result in zip(specs.items(), results, strict=True):
        report(f"{role}: {spec.label} {'loaded' if result.from_cache else 'trained'}")


def warm(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Train (or load) into the model store every model the page trains on its defaults."""
    _warm(default_specs(), device, epochs, report)


def warm_sliders(device: str, epochs: int | None, report: Callable[[str], None]) -> None:
    """Only what the interpolation slider needs: the first tab's model (its 21 positions are decoded
    in one batch on first use, in the server's memory)."""
    _warm(first_tab_specs(), device, epochs, report)
