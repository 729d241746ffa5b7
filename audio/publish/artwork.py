"""Show artwork: Apple's rules checked with Pillow, and a generated placeholder.

The placeholder carries a PNG text chunk so ``publish`` can tell it is still in use,
wherever it was copied to.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin, UnidentifiedImageError

from audio.errors import OutputError
from audio.files import atomic_write

MIN_PX, MAX_PX = 1400, 3000
PLACEHOLDER_KEY = "audio-essay-placeholder"
PLACEHOLDER_PX = 1400


def artwork_problems(path: Path) -> list[str]:
    """Why ``path`` is not acceptable podcast artwork (empty list: it is)."""
    try:
        with Image.open(path) as image:
            fmt, mode, (width, height) = image.format, image.mode, image.size
    except FileNotFoundError:
        return ["no such file"]
    except (OSError, UnidentifiedImageError) as exc:
        return [f"not a readable image ({exc})"]
    problems = []
    if fmt not in ("PNG", "JPEG"):
        problems.append(f"must be PNG or JPEG, is {fmt}")
    if width != height:
        problems.append(f"must be square, is {width}x{height}")
    if not (MIN_PX <= width <= MAX_PX and MIN_PX <= height <= MAX_PX):
        problems.append(f"must be {MIN_PX}-{MAX_PX} px on each side, is {width}x{height}")
    if mode != "RGB":
        problems.append(f"must be RGB without alpha, is {mode}")
    return problems


def is_placeholder(path: Path) -> bool:
    """Whether ``path`` is the generated placeholder (it says so in a PNG text chunk)."""
    try:
        with Image.open(path) as image:
            return image.info.get(PLACEHOLDER_KEY) == "true"
    except (OSError, UnidentifiedImageError):
        return False


def placeholder_png(title: str = "audio-essay") -> bytes:
    """A valid 1400 px square RGB PNG with the show title: same title, same bytes."""
    image = Image.new("RGB", (PLACEHOLDER_PX, PLACEHOLDER_PX))
    draw = ImageDraw.Draw(image)
    digest = hashlib.sha256(title.encode("utf-8")).digest()
    top, bottom = digest[:3], digest[3:6]
    for y in range(0, PLACEHOLDER_PX, 4):  # a vertical two-colour gradient, in bands
        t = y / PLACEHOLDER_PX
        colour = tuple(int(a * (1 - t) * 0.6 + b * t * 0.4) for a, b in zip(top, bottom))
        draw.rectangle((0, y, PLACEHOLDER_PX, y + 3), fill=colour)
    font = ImageFont.load_default(size=110)
    words, lines, line = title.split(), [], ""
    for word in words:  # greedy wrap to the image width
        trial = f"{line} {word}".strip()
        if line and draw.textlength(trial, font=font) > PLACEHOLDER_PX - 200:
            lines.append(line)
            trial = word
        line = trial
    lines.append(line)
    y = PLACEHOLDER_PX // 2 - len(lines) * 65
    for text in lines:
        draw.text((PLACEHOLDER_PX // 2, y), text, font=font, fill=(255, 255, 255), anchor="mt")
        y += 130
    info = PngImagePlugin.PngInfo()
    info.add_text(PLACEHOLDER_KEY, "true")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def write_placeholder(path: str | Path, title: str = "audio-essay") -> Path:
    """Write the placeholder artwork to ``path`` atomically (used by ``init`` and ``publish``)."""
    path = Path(path)
    png = placeholder_png(title)
    try:
        atomic_write(path, lambda tmp: tmp.write_bytes(png))
    except OSError as exc:
        raise OutputError(path, f"cannot write the placeholder artwork ({exc})") from exc
    return path
