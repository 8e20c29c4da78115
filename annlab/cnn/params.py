"""The shape check and per-layer parameter table of a design, computed before anything is built.

For each layer: its output shape (height x width x channels), the parameter formula with the numbers
of this design, the count, and the receptive field (how many input pixels one cell of the layer's
output sees). The total equals ``sum(p.numel() for p in model.parameters())`` of the torch model
(tested). Formulas:

- convolution: (k * k * c_in + 1) * c_out (weights and one bias per filter)
- batch norm: 2 * c (a scale and a shift per channel; the running mean and variance are buffers,
  not trained parameters)
- dense: (n_in + 1) * n_out
- pooling, activation, flatten, dropout: 0

Receptive field: r_out = r_in + (k - 1) * j_in and j_out = j_in * s, with j the distance in input
pixels between neighbouring cells (Araujo, Norris & Sim, 2019, "Computing receptive fields of
convolutional neural networks", Distill).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from annlab.cnn.models import CNNConfig, DenseConfig, same_pad


class DesignError(ValueError):
    """A design whose feature map vanishes; the message is a sentence for the user."""


@dataclass(frozen=True)
class Layer:
    """One row of the table: name, output shape (h, w, c) or (n,), formula, count, receptive field."""

    name: str
    shape: tuple[int, ...]
    formula: str
    params: int
    receptive: int | None = None

    @property
    def shape_text(self) -> str:
        return " x ".join(str(v) for v in self.shape)


def _size(shape) -> int:
    out = 1
    for v in shape:
        out *= v
    return out


def layers(cfg: CNNConfig | DenseConfig) -> list[Layer]:
    """Every layer of ``cfg`` with its output shape and parameters.

    Raises
    ------
    DesignError : a convolution or pooling gets a feature map smaller than its window.
    """
    if isinstance(cfg, DenseConfig):
        return _dense_layers(cfg)
    side, c, rf, jump = cfg.side, 1, 1, 1
    out = [Layer("input", (side, side, 1), "", 0, 1)]
    pad = same_pad(cfg.kernel) if cfg.padding == "same" else 0
    k = cfg.kernel
    for b, c_out in enumerate(cfg.channels, 1):
        new = side + 2 * pad - k + 1
        if new < 1:
            raise DesignError(
                f"Block {b}'s {k}x{k} convolution gets a {side}x{side} feature map with "
                f"{cfg.padding} padding, which is smaller than the kernel: the feature map vanishes. "
                "Use 'same' padding, fewer blocks, a smaller kernel or no pooling."
            )
        side, rf = new, rf + (k - 1) * jump
        out.append(
            Layer(
                f"conv {b} ({c_out} filters {k}x{k})",
                (side, side, c_out),
                f"({k}·{k}·{c} + 1)·{c_out}",
                (k * k * c + 1) * c_out,
                rf,
            )
        )
        c = c_out
        if cfg.batch_norm:
            out.append(Layer(f"batch norm {b}", (side, side, c), f"2·{c}", 2 * c, rf))
        out.append(Layer(f"{cfg.activation} {b}", (side, side, c), "", 0, rf))
        if cfg.pool != "none":
            if side < 2:
                raise DesignError(
                    f"Block {b}'s 2x2 pooling gets a 1x1 feature map: the feature map vanishes. "
                    "Use 'same' padding, fewer blocks, a smaller kernel or no pooling."
                )
            side, rf, jump = side // 2, rf + jump, jump * 2
            out.append(Layer(f"{cfg.pool} pool {b} (2x2)", (side, side, c), "", 0, rf))
    flat = side * side * c
    out.append(Layer("flatten", (flat,), f"{side}·{side}·{c}", 0, rf))
    if cfg.dropout:
        out.append(Layer(f"dropout {cfg.dropout:g}", (flat,), "", 0, rf))
    if cfg.dense:
        out.append(
            Layer(f"dense ({cfg.dense})", (cfg.dense,), f"({flat} + 1)·{cfg.dense}", (flat + 1) * cfg.dense)
        )
        flat = cfg.dense
    out.append(Layer("dense (10 classes)", (10,), f"({flat} + 1)·10", (flat + 1) * 10))
    return out


def _dense_layers(cfg: DenseConfig) -> list[Layer]:
    n = cfg.side * cfg.side
    out = [Layer("input (flattened)", (n,), "", 0)]
    for i, h in enumerate(cfg.hidden, 1):
        out.append(Layer(f"dense {i} ({h}) + relu", (h,), f"({n} + 1)·{h}", (n + 1) * h))
        n = h
    if cfg.dropout:
        out.append(Layer(f"dropout {cfg.dropout:g}", (n,), "", 0))
    out.append(Layer("dense (10 classes)", (10,), f"({n} + 1)·10", (n + 1) * 10))
    return out


def check(cfg: CNNConfig) -> str | None:
    """None when the design is valid, else the sentence of its :class:`DesignError`."""
    try:
        layers(cfg)
    except DesignError as err:
        return str(err)
    return None


def total(cfg: CNNConfig | DenseConfig) -> int:
    """Trainable parameters of the design (``sum(p.numel())`` of the built model)."""
    return sum(layer.params for layer in layers(cfg))


def table(cfg: CNNConfig | DenseConfig) -> pd.DataFrame:
    """The per-layer table the page shows (a last row holds the total)."""
    rows = [
        {
            "layer": lay.name,
            "output shape": lay.shape_text,
            "parameters": lay.formula + (f" = {lay.params:,}" if lay.formula and lay.params else ""),
            "count": lay.params,
            "receptive field": f"{lay.receptive}x{lay.receptive}" if lay.receptive else "whole image",
        }
        for lay in layers(cfg)
    ]
    rows.append(
        {"layer": "total", "output shape": "", "parameters": "", "count": total(cfg), "receptive field": ""}
    )
    return pd.DataFrame(rows)


def receptive_fields(cfg: CNNConfig) -> pd.DataFrame:
    """Receptive field (input pixels per side) of one cell of each conv block's output (after its
    activation and pooling), with the block's output shape."""
    last: dict[int, Layer] = {}
    block = 0
    for lay in layers(cfg)[1:]:
        if lay.name.startswith("conv "):
            block += 1
        if lay.name == "flatten":
            break
        last[block] = lay
    rows = [
        {"block": b, "receptive field (pixels)": lay.receptive, "map": lay.shape_text}
        for b, lay in last.items()
    ]
    return pd.DataFrame(rows)


def matched_dense(cfg: CNNConfig) -> DenseConfig:
    """A dense network with one hidden layer and about as many parameters as the CNN ``cfg``, trained
    the same way (optimizer, epochs, batches, augmentation)."""
    n, p = cfg.side * cfg.side, total(cfg)
    hidden = max(1, round((p - 10) / (n + 11)))  # (n + 1) h + (h + 1) 10 = p
    fit = {
        f: getattr(cfg, f)
        for f in (
            "side",
            "optimizer",
            "lr",
            "num_epochs",
            "batch_size",
            "weight_decay",
            "shift",
            "n_train",
            "schedule",
        )
    }
    return DenseConfig(hidden=(hidden,), dropout=0.0, **fit)
