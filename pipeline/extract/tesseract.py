"""Tesseract (chi_sim and its digits-only mode), run as our own child process (`external.run_program`):
killed whole on a time limit and with the worker that started it."""

from __future__ import annotations

import io
import os
import shlex
import shutil
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipeline.extract.external import run_program
from pipeline.extract.model import ExtractionError

SETTINGS = {
    "lang": "chi_sim",
    "config": "--psm 6",  # one uniform block: table rows come out whole, left to right
    "digits_config": "--psm 6 -c tessedit_char_whitelist=0123456789.,-",
    "min_confidence": 0,  # tesseract's own drops; a wrong number is caught by the second reading and the sums
}
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
TIMEOUT_S = 60  # one call reads a page's cells or its lines: seconds, never minutes
MAX_SIDE = 30_000  # pixels: tesseract refuses images taller than 32767
CELL_GAP = 24  # pixels of white between two crops in a mosaic: tesseract never joins them into one line


def missing() -> str | None:
    """Why tesseract cannot run here, or None."""
    if shutil.which("tesseract") is None:
        return f"tesseract is not installed: {INSTALL_HINT}"
    if SETTINGS["lang"] not in languages():
        return f"tesseract has no {SETTINGS['lang']} language data: {INSTALL_HINT}"
    return None


@lru_cache(maxsize=1)
def languages() -> frozenset[str]:
    done = run_program(["tesseract", "--list-langs"], timeout=TIMEOUT_S)
    return frozenset(line.strip() for line in done.stdout.decode(errors="replace").splitlines()[1:] if line.strip())


@dataclass
class Word:
    text: str
    left: int
    width: int
    top: int  # its text line's top and bottom, so every character of a line sits on one baseline
    bottom: int
    line: tuple[int, int, int]

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def words(image: np.ndarray, lang: str | None = None, config: str | None = None) -> list[Word]:
    """Tesseract's words in a grey image, each on its text line's top and bottom."""
    data = _tsv(image, lang or SETTINGS["lang"], config or SETTINGS["config"])
    lines: dict[tuple[int, int, int], tuple[int, int]] = {}
    out = []
    for i, level in enumerate(data["level"]):
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if level == 4:
            lines[key] = (data["top"][i], data["top"][i] + data["height"][i])
        text = data["text"][i].strip()
        if level != 5 or not text or float(data["conf"][i]) < SETTINGS["min_confidence"]:
            continue
        top, bottom = lines.get(key, (data["top"][i], data["top"][i] + data["height"][i]))
        out.append(Word(text, data["left"][i], data["width"][i], top, bottom, key))
    return out


def read_crops(crops: list[np.ndarray | None], lang: str, config: str) -> list[str]:
    """The text of each crop, from tesseract calls over them stacked with white between (one call per
    mosaic of up to MAX_SIDE pixels): a crop's text never runs into its neighbour's."""
    out: list[str] = []
    start = 0
    while start < len(crops):
        end, height = start, CELL_GAP
        while end < len(crops) and (end == start or height + _height(crops[end]) + CELL_GAP < MAX_SIDE):
            height += _height(crops[end]) + CELL_GAP
            end += 1
        out += _mosaic_read(crops[start:end], lang, config)
        start = end
    return out


def _height(crop: np.ndarray | None) -> int:
    return 0 if crop is None else crop.shape[0]


def _mosaic_read(crops: list[np.ndarray | None], lang: str, config: str) -> list[str]:
    spans, y = [], CELL_GAP
    for crop in crops:
        height = _height(crop)
        spans.append((y, y + height))
        y += height + (CELL_GAP if height else 0)
    if y == CELL_GAP:
        return [""] * len(crops)
    width = max(c.shape[1] for c in crops if c is not None) + 2 * CELL_GAP
    mosaic = np.full((y + CELL_GAP, width), 255, dtype=np.uint8)
    for crop, (top, bottom) in zip(crops, spans, strict=True):
        if crop is not None:
            mosaic[top:bottom, CELL_GAP:CELL_GAP + crop.shape[1]] = crop
    found = words(mosaic, lang, config)
    return ["" if top == bottom else _joined(sorted((w for w in found if top <= w.middle < bottom),
                                                    key=lambda w: (w.line, w.left)))
            for top, bottom in spans]


def _joined(words: list[Word]) -> str:
    """Words of one crop: a space between words of a line, a new line between lines."""
    out = ""
    for before, word in zip([None, *words], words, strict=False):
        out += ("" if before is None else " " if before.line == word.line else "\n") + word.text
    return out


def _tsv(image: np.ndarray, lang: str, config: str) -> dict[str, list]:
    """tesseract's word boxes for an image (its TSV output, column by column)."""
    from PIL import Image

    png = io.BytesIO()
    Image.fromarray(image).save(png, format="PNG")
    env = os.environ | {"OMP_THREAD_LIMIT": "1"}  # one core per worker: the pool already uses them all
    done = run_program(["tesseract", "stdin", "stdout", "-l", lang, *shlex.split(config), "tsv"],
                       input=png.getvalue(), timeout=TIMEOUT_S, env=env)
    if done.returncode != 0:
        raise ExtractionError("ocr_failed", f"tesseract failed: {done.stderr.decode(errors='replace').strip()[:300]}")
    rows = [line.split("\t") for line in done.stdout.decode("utf-8", errors="replace").splitlines()]
    header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0])]
    columns: dict[str, list] = {name: [r[i] for r in body] for i, name in enumerate(header)}
    for name in header:
        if name not in ("text", "conf"):
            columns[name] = [int(v) for v in columns[name]]
    return columns
