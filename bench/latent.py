"""Latent-space benchmark: trains the page's default models from scratch (private cache folder), then
measures clustering, classifiers on codes, the VAE's test loss, GAN samples and interpolation speed.

Run: ``.venv/bin/python bench/latent.py``. Progress lines go to stderr; the LAST line of stdout is one
JSON object with the keys ``ae_kmeans_acc``, ``raw_kmeans_acc``, ``ae_ari``, ``ae_nmi``,
``clf_acc_by_latent``, ``vae_test_loss``, ``gan_recognised_frac``, ``train_s``, ``interp_ms``.
All scores are on the held-out MNIST-5k test digits (1,000).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ANNLAB_CACHE_DIR", tempfile.mkdtemp(prefix="annlab-bench-latent-"))
os.environ.pop("ANNLAB_FAST", None)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from annlab.data import mnist  # noqa: E402
from annlab.latent import autoencoders as ae  # noqa: E402
from annlab.latent import codes as lat  # noqa: E402
from annlab.latent import defaults as D  # noqa: E402
from annlab.latent import gan as gan_mod  # noqa: E402


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> dict:
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    d = mnist()
    train_s: dict[str, float] = {}
    results = {}
    for role, spec in D.default_specs().items():  # main, gan, cluster, moons_ae, moons_mmd, denoise
        t0 = time.perf_counter()
        results[role] = spec.run()
        train_s[role] = round(time.perf_counter() - t0, 2)
        log(f"trained {role}: {spec.label} in {train_s[role]} s")
    train_s["total"] = round(sum(train_s.values()), 2)
    log(f"all default models: {train_s['total']} s")

    # clustering on test digits: raw pixels, plain codes, t-SNE of codes (train codes unlabelled)
    cm = results["cluster"].model
    Z_tr, Z_te = ae.encode(cm, d.X_train), ae.encode(cm, d.X_test)
    raw = lat.cluster_report(d.X_test, d.y_test, seed=0)
    plain = lat.cluster_report(Z_te, d.y_test, seed=0)
    t0 = time.perf_counter()
    tsne = lat.embed_then_cluster(Z_te, d.y_test, Z_unlabelled=Z_tr, seed=0)
    log(
        f"k-means accuracy: raw pixels {raw.accuracy:.3f}, {D.CLUSTER_LATENT}-D codes {plain.accuracy:.3f} "
        f"(ARI {plain.ari:.3f}, NMI {plain.nmi:.3f}), t-SNE of codes {tsne.accuracy:.3f} "
        f"({time.perf_counter() - t0:.1f} s)"
    )

    # classifier on frozen codes against latent size (dense autoencoder, the page's sweep)
    clf_acc = {}
    sweep_s = {}
    for size in ae.LATENT_SIZES:
        cfg = D.model_config("Autoencoder (dense)", "mnist", size)
        t0 = time.perf_counter()
        r = D.ae_spec(cfg, "mnist").run()
        sweep_s[size] = round(time.perf_counter() - t0, 1)
        clf_acc[str(size)] = round(
            lat.code_classifier_accuracy(
                ae.encode(r.model, d.X_train), d.y_train, ae.encode(r.model, d.X_test), d.y_test
            ),
            4,
        )
        log(f"latent {size}: SVM on codes {clf_acc[str(size)]:.3f} (trained in {sweep_s[size]} s)")

    vae = results["main"].model
    vae_loss = ae.evaluate(vae, d.X_test)["loss"]

    gcfg = results["gan"].config
    imgs = gan_mod.generate(results["gan"].model, gan_mod.sample_z(gcfg, 1000, seed=1))
    verdict = lat.judge(imgs, "mnist")
    log(f"GAN samples: {verdict['recognised']:.3f} recognised, histogram {verdict['histogram'].tolist()}")

    # one interpolation step as the page renders it: encode both ends, decode the strip and the slider point
    xa, xb = d.X_test[0], d.X_test[1]
    times = []
    for i in range(50):
        t0 = time.perf_counter()
        za, zb = ae.encode(vae, np.stack([xa, xb]))
        path = lat.interpolate(za, zb, 9, "spherical")
        zt = lat.slerp(za, zb, i / 49)
        ae.decode(vae, np.vstack([path, zt[None]]))
        times.append(time.perf_counter() - t0)
    return {
        "ae_kmeans_acc": round(tsne.accuracy, 4),
        "raw_kmeans_acc": round(raw.accuracy, 4),
        "ae_ari": round(tsne.ari, 4),
        "ae_nmi": round(tsne.nmi, 4),
        "clf_acc_by_latent": clf_acc,
        "vae_test_loss": round(float(vae_loss), 3),
        "gan_recognised_frac": round(verdict["recognised"], 4),
        "train_s": train_s,
        "interp_ms": round(1000 * float(np.median(times)), 2),
    }


if __name__ == "__main__":
    out = main()
    print(json.dumps(out))
