"""PaddleOCR's PP-OCRv4 Chinese models (text detection and recognition), run by onnxruntime through
`rapidocr-onnxruntime`, whose wheel ships the models: nothing is downloaded at run time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

INSTALL_HINT = "pip install rapidocr-onnxruntime"
SETTINGS = {
    "threads": 1,  # one core per worker: the pool already uses them all
    "text_score": 0.3,  # lines read with less confidence are dropped (the library's default is 0.5)
}


def missing() -> str | None:
    """Why the engine cannot run here, or None."""
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError as exc:  # a broken onnxruntime or OpenCV says so here too
        return f"rapidocr-onnxruntime cannot be imported ({exc}): {INSTALL_HINT}"
    return None


@lru_cache(maxsize=1)
def _engine():
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(intra_op_num_threads=SETTINGS["threads"], inter_op_num_threads=SETTINGS["threads"],
                    text_score=SETTINGS["text_score"])


def read_crops(crops: list[np.ndarray]) -> list[tuple[str, float]]:
    """Each grey crop read as one line of text: (text, confidence), by the recognition model alone."""
    if not crops:
        return []
    rgb = [np.repeat(c[:, :, None], 3, axis=2) for c in crops]
    found, _ = _engine().text_rec(rgb)
    return [(text, float(score)) for text, score in found]


@dataclass
class Line:
    text: str
    score: float
    x0: float  # pixels
    top: float
    x1: float
    bottom: float


def read_lines(image: np.ndarray) -> list[Line]:
    """The text lines of a grey image: detected, then recognised."""
    found, _ = _engine()(np.repeat(image[:, :, None], 3, axis=2), use_cls=False)
    out = []
    for box, text, score in found or []:
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        out.append(Line(text, float(score), min(xs), min(ys), max(xs), max(ys)))
    return out
