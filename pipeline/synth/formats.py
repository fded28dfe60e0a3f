"""Reports as bodies publish them: a page or text saved by LibreOffice as DOCX, DOC and PDF, and PDFs
printed and scanned (pages as images, no text layer), clean or degraded as real scans are.

The format harness (`bench/formats.py`, `tests/test_formats.py`) renders real reports this way and
scores every variant against the hand-checked numbers.
"""

from __future__ import annotations

import io
import math
import os
import random
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pypdfium2
from PIL import Image, ImageDraw, ImageFilter

from pipeline.extract.office import convert

# LibreOffice's export filter for each kind, and the import filter for each source extension
SAVE_AS = {"docx": "docx:MS Word 2007 XML", "doc": "doc:MS Word 97", "pdf": "pdf:writer_pdf_Export"}
# into Writer; text as UTF-8 in a Song (serif) face, as Word prints a report, not a typewriter's
OPEN_AS = {"html": "HTML (StarWriter)", "txt": "Text (encoded):UTF8,LF,Noto Serif CJK SC,zh-CN"}


def save_as(sources: dict[str, bytes], ext: str, kind: str) -> dict[str, bytes]:
    """Each source (name -> bytes of extension `ext`: html or txt) as LibreOffice saves it as `kind`,
    laid out with Chinese fonts (a PDF drawn without them prints boxes for every character)."""
    return convert(sources, ext, SAVE_AS[kind], infilter=OPEN_AS.get(ext), env=with_cjk_fonts())


@lru_cache(maxsize=1)
def with_cjk_fonts() -> dict[str, str]:
    """The environment with a fontconfig file that adds the Noto CJK fonts shipped in `mplfonts` to the
    system's: a machine without Chinese fonts installed renders Chinese all the same."""
    import mplfonts

    fonts = Path(mplfonts.__file__).parent / "fonts"
    folder = Path(tempfile.gettempdir()) / f"gongkai-fonts-{os.getuid()}"
    folder.mkdir(exist_ok=True)
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <dir>{fonts}</dir>\n  <cachedir>{folder / 'cache'}</cachedir>\n</fontconfig>\n", encoding="utf-8")
    return os.environ | {"FONTCONFIG_FILE": str(conf)}


@dataclass(frozen=True)
class Scan:
    """How a page is scanned: resolution, and the flaws of a real scanner and a real office."""

    dpi: int = 200
    skew_degrees: float = 0.0  # the largest tilt; each page gets its own, seeded, within ±this
    noise: float = 0.0  # standard deviation of the grey noise, in grey levels
    jpeg_quality: int | None = None  # compressed once more before it is stored (None: stored as rendered)
    seal: bool = False  # a red seal stamped over the middle of every page
    seed: int = 0

    @property
    def name(self) -> str:
        flaws = [f"skew±{self.skew_degrees:g}°" if self.skew_degrees else "", f"noise {self.noise:g}" if self.noise else "",
                 f"jpeg q{self.jpeg_quality}" if self.jpeg_quality else "", "red seal" if self.seal else ""]
        return f"scan {self.dpi} dpi" + (f" ({', '.join(f for f in flaws if f)})" if any(flaws) else "")


CLEAN = Scan()
DEGRADED = Scan(skew_degrees=2.0, noise=12.0, jpeg_quality=40, seal=True)


def scan(pdf: bytes, how: Scan = CLEAN) -> bytes:
    """The PDF's pages as images in an image-only PDF: what a scanner gives."""
    rng = random.Random(how.seed)
    doc = pypdfium2.PdfDocument(pdf)
    try:
        pages = [_scan_page(doc[i].render(scale=how.dpi / 72).to_pil().convert("RGB"), how, rng)
                 for i in range(len(doc))]
    finally:
        doc.close()
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=how.dpi)
    return out.getvalue()


def _scan_page(page: Image.Image, how: Scan, rng: random.Random) -> Image.Image:
    if how.seal:
        page = _stamp(page, how.dpi, rng)
    if how.skew_degrees:
        page = page.rotate(rng.uniform(-how.skew_degrees, how.skew_degrees), resample=Image.Resampling.BICUBIC,
                           fillcolor=(255, 255, 255))
    if how.noise:
        pixels = np.asarray(page, dtype=np.float32)
        noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, how.noise, pixels.shape[:2])[..., None]
        page = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6))
    if how.jpeg_quality:
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=how.jpeg_quality)
        page = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return page if how.seal else page.convert("L")  # an office scans in grey unless a seal must stay red


SEAL_RED = (214, 32, 38)


def _stamp(page: Image.Image, dpi: int, rng: random.Random) -> Image.Image:
    """A round red seal (ring, star, text arc) multiplied over the page's middle, as ink over print."""
    size = int(1.65 * dpi)  # a 42 mm seal
    seal = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(seal)
    ring = max(3, dpi // 40)
    draw.ellipse((ring, ring, size - ring, size - ring), outline=SEAL_RED, width=ring)
    centre, star = size / 2, size * 0.14
    points = [(centre + star * (1 if k % 2 == 0 else 0.4) * math.sin(k * math.pi / 5),
               centre - star * (1 if k % 2 == 0 else 0.4) * math.cos(k * math.pi / 5)) for k in range(10)]
    draw.polygon(points, fill=SEAL_RED)
    for k in range(14):  # the body's name around the rim, as strokes the size of characters
        angle = math.pi * (0.8 + 1.4 * k / 13)
        x, y = centre + size * 0.36 * math.cos(angle), centre + size * 0.36 * math.sin(angle)
        draw.rectangle((x - size * 0.035, y - size * 0.035, x + size * 0.035, y + size * 0.035), outline=SEAL_RED,
                       width=max(2, ring // 2))
    width, height = page.size
    x = int(width * rng.uniform(0.45, 0.6) - size / 2)
    y = int(height * rng.uniform(0.35, 0.6) - size / 2)
    region = page.crop((x, y, x + size, y + size))
    page.paste(Image.fromarray((np.asarray(region, np.float32) * np.asarray(seal, np.float32) / 255).astype(np.uint8)),
               (x, y))
    return page
