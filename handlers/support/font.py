"""A small anti-aliased sans-serif font for the PNG renderer: glyph alpha masks, text measuring and fallbacks.

The glyphs are Aileron Regular (CC0, public domain), rasterised once at two sizes and stored in font_data.py,
so drawing text needs no imaging library at run time. Aileron as shipped covers ASCII and a few marks: other
letters fall back to their unaccented form (É -> E), and anything else to '?'.
Rebuild font_data.py (needs Pillow >= 10.1, whose default font is Aileron): python -m handlers.support.font
"""

from __future__ import annotations

import base64
import struct
import unicodedata
import zlib
from dataclasses import dataclass
from functools import cache

SIZES = (14, 20)  # labels and legend; title
_HEADER = struct.Struct("<BBH")  # line height, ascent, glyph count
_GLYPH = struct.Struct("<IHbB")  # code point, advance in 1/64 px, x offset of the mask, mask width
_EXTRA = "©«°±´·»‘’“”…‹›⁄™"  # the non-ASCII characters Aileron as shipped by Pillow draws


@dataclass(frozen=True)
class Glyph:
    advance: float  # pixels the pen moves after this glyph
    x_offset: int  # where the mask starts, relative to the pen
    width: int
    alpha: bytes  # width x the font's line height, row by row, 0 (clear) to 255 (ink)


@dataclass(frozen=True)
class Font:
    size: int
    line_height: int
    ascent: int
    glyphs: dict[str, Glyph]

    def char(self, ch: str) -> Glyph:
        return self.glyphs.get(ch) or self.glyphs[_fallback(ch, self.glyphs)]

    def text_width(self, text: str) -> int:
        return round(sum(self.char(ch).advance for ch in text))

    def fit(self, text: str, width: int) -> str:
        """The text, cut with an ellipsis where it is wider than `width` pixels."""
        if self.text_width(text) <= width:
            return text
        while text and self.text_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def mask(self, text: str) -> tuple[int, int, bytearray]:
        """(width, height, alpha) of the text set on one line; overlapping glyph edges keep the stronger ink."""
        width, height = max(1, self.text_width(text) + 2), self.line_height
        out = bytearray(width * height)
        pen = 0.0
        for ch in text:
            g = self.char(ch)
            left = round(pen) + g.x_offset
            for y in range(height):
                row = g.alpha[y * g.width : (y + 1) * g.width]
                base = y * width
                for x, a in enumerate(row):
                    if a and 0 <= left + x < width and a > out[base + left + x]:
                        out[base + left + x] = a
            pen += g.advance
        return width, height, out


def _fallback(ch: str, glyphs: dict[str, Glyph]) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    if len(plain) == 1 and plain in glyphs:
        return plain
    return " " if ch.isspace() else "?"


@cache
def font(size: int) -> Font:
    from handlers.support import font_data

    raw = zlib.decompress(base64.b64decode("".join(font_data.FONTS[size])))
    line_height, ascent, count = _HEADER.unpack_from(raw)
    offset = _HEADER.size
    specs = []
    for _ in range(count):
        specs.append(_GLYPH.unpack_from(raw, offset))
        offset += _GLYPH.size
    glyphs = {}
    for code, advance64, x_offset, width in specs:
        size_bytes = width * line_height
        # masks are stored in 16 levels (4 bits) to keep the data small; spread them back over 0-255
        alpha = bytes(v * 17 for v in raw[offset : offset + size_bytes])
        glyphs[chr(code)] = Glyph(advance64 / 64, x_offset, width, alpha)
        offset += size_bytes
    return Font(size, line_height, ascent, glyphs)


def _rasterise(size: int) -> str:
    """One size of the font, packed as font() reads it (development only: imports Pillow)."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.load_default(size=size)
    assert isinstance(face, ImageFont.FreeTypeFont)  # with a size, Pillow gives its scalable font (needs FreeType)
    ascent, descent = face.getmetrics()
    line_height = ascent + descent
    chars = [chr(c) for c in range(32, 127)] + list(_EXTRA)
    head, masks = [], []
    for ch in chars:
        # Typed as floats, but FreeType's boxes are whole pixels (the glyph table packs them as integers).
        left, _, right, _ = (int(edge) for edge in face.getbbox(ch, anchor="la"))
        width = max(1, right - left)
        image = Image.new("L", (width, line_height), 0)
        ImageDraw.Draw(image).text((-left, 0), ch, font=face, fill=255, anchor="la")
        head.append(_GLYPH.pack(ord(ch), round(face.getlength(ch) * 64), left, width))
        masks.append(bytes((v + 8) // 17 for v in image.tobytes()))
    packed = _HEADER.pack(line_height, ascent, len(chars)) + b"".join(head) + b"".join(masks)
    return base64.b64encode(zlib.compress(packed, 9)).decode()


def _write_font_data() -> None:
    from pathlib import Path

    lines = [
        '"""Glyph masks of Aileron Regular (CC0) at the sizes handlers.support.font uses; generated by it, do not edit."""',
        "",
        "# fmt: off",
        "FONTS: dict[int, tuple[str, ...]] = {",
    ]
    for size in SIZES:
        data = _rasterise(size)
        lines.append(f"    {size}: (")
        lines += [f'        "{data[i : i + 120]}",' for i in range(0, len(data), 120)]
        lines.append("    ),")
    lines += ["}", "# fmt: on", ""]
    Path(__file__).with_name("font_data.py").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    _write_font_data()
