"""The drawing canvas: the user's own digit, carried across pages.

The last digit drawn on any page is kept in the session, so a digit drawn on the Hopfield page can be
handed to the RBM or the autoencoder without drawing it again. Drawing needs a mouse, a pen or a finger:
a picture of a digit can be uploaded instead (keyboard and screen-reader users).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from annlab.preprocess import EmptyDrawing, digit_from_canvas, downsample

_LAST = "_last_drawing"  # (28, 28) float32 in [0, 1], and the page it came from
MAX_UPLOAD_BYTES = 2_000_000
MAX_UPLOAD_SIDE = 4000


def digit_from_upload(data: bytes) -> np.ndarray:
    """The MNIST-style (28, 28) digit in an uploaded picture (PNG or JPEG, dark ink on light paper or
    light on dark). Raises ``ValueError`` with words a student understands."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"The picture is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB: crop or shrink it.")
    try:
        with Image.open(BytesIO(data)) as img:
            if max(img.size) > MAX_UPLOAD_SIDE:
                raise ValueError(f"The picture is more than {MAX_UPLOAD_SIDE} pixels wide: shrink it.")
            rgba = np.asarray(img.convert("RGBA"))
    except (UnidentifiedImageError, OSError) as err:
        raise ValueError("This file is not a picture this page can read (use PNG or JPEG).") from err
    try:
        return digit_from_canvas(rgba)
    except EmptyDrawing as err:
        raise ValueError("No digit found in the picture: one dark digit on light paper works best.") from err


def _uploaded(key: str) -> np.ndarray | None:
    with st.expander("No mouse or touch screen? Upload a picture of a digit", icon=":material/upload:"):
        file = st.file_uploader(
            "A photo or scan of one handwritten digit (PNG or JPEG, up to 2 MB)",
            type=["png", "jpg", "jpeg"],
            key=f"{key}_upload",
        )
        if file is None:
            return None
        try:
            return digit_from_upload(file.getvalue())
        except ValueError as err:
            st.warning(str(err))
            return None


def draw_digit(key: str, *, side: int = 28, size_px: int = 280, page: str = "") -> np.ndarray | None:
    """Draw a canvas and return the drawn digit, MNIST-style.

    Parameters
    ----------
    key : unique widget key on the page
    side : output side (28, or 8/14/16 via :func:`annlab.preprocess.downsample`)
    size_px : canvas size on screen
    page : name of the calling page (shown when another page reuses this drawing)

    Returns
    -------
    ndarray of shape (side, side), float32 in [0, 1], or None when nothing is drawn (an info message
    is shown then). When the canvas is empty but a digit was drawn earlier (on any page), the user is
    offered that digit. An uploaded picture of a digit (the keyboard's way in) takes the drawing's place.
    """
    from streamlit_drawable_canvas import st_canvas

    st.caption("Draw one digit, large, in the middle of the black square (or upload a picture below).")
    result = st_canvas(
        fill_color="#FFFFFF",
        stroke_width=max(14, size_px // 14),
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=size_px,
        width=size_px,
        drawing_mode="freedraw",
        update_streamlit=True,
        return_image_data=True,
        key=key,
    )
    digit28 = _uploaded(key)
    if digit28 is not None:
        st.session_state[_LAST] = (digit28, page)
    image = getattr(result, "image_data", None) if digit28 is None else None
    if image is not None:
        try:
            digit28 = digit_from_canvas(image)
            st.session_state[_LAST] = (digit28, page)
        except EmptyDrawing:
            digit28 = None
    if digit28 is None:
        last = st.session_state.get(_LAST)
        if last is not None and st.checkbox(
            f"Use the digit I drew on the {last[1] or 'other'} page", value=True, key=f"{key}_reuse"
        ):
            digit28 = last[0]
        else:
            st.info("The canvas is empty: draw a digit to see what the network makes of it.")
            return None
    return digit28 if side == 28 else downsample(digit28, side)
