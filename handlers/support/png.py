"""A minimal RGB raster with filled boxes and anti-aliased text, written out as PNG with the standard library."""

from __future__ import annotations

import struct
import zlib

from handlers.support.font import Font
from handlers.support.palette import rgb

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class Canvas:
    """Pixels, row by row, three bytes each. Coordinates are pixels from the top-left corner."""

    def __init__(self, width: int, height: int, background: str) -> None:
        self.width, self.height = width, height
        self.pixels = bytearray(bytes(rgb(background)) * (width * height))
        self._masks: dict[tuple[str, int, bool], tuple[int, int, bytes]] = {}

    def box(self, x: int, y: int, width: int, height: int, colour: str) -> None:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + width), min(self.height, y + height)
        if x1 <= x0 or y1 <= y0:
            return
        run = bytes(rgb(colour)) * (x1 - x0)
        for row in range(y0, y1):
            start = (row * self.width + x0) * 3
            self.pixels[start : start + len(run)] = run

    def text(self, x: int, y: int, text: str, font: Font, colour: str, *, upright: bool = False) -> None:
        """Set text with the top-left of its line box at (x, y); upright turns it a quarter left, to read bottom to top."""
        width, height, alpha = self._mask(text, font, upright)
        ink = rgb(colour)
        pixels = self.pixels
        for row in range(max(0, -y), min(height, self.height - y)):
            base = (y + row) * self.width
            line = alpha[row * width : (row + 1) * width]
            for col, a in enumerate(line):
                if a and 0 <= x + col < self.width:
                    i = (base + x + col) * 3
                    for k in range(3):
                        pixels[i + k] = (ink[k] * a + pixels[i + k] * (255 - a) + 127) // 255

    def _mask(self, text: str, font: Font, upright: bool) -> tuple[int, int, bytes]:
        key = (text, font.size, upright)
        if key not in self._masks:
            width, height, mask = font.mask(text)
            alpha = bytes(mask)
            if upright:  # column x of the line becomes row (width - 1 - x)
                alpha = bytes(alpha[y * width + x] for x in range(width - 1, -1, -1) for y in range(height))
                width, height = height, width
            self._masks[key] = (width, height, alpha)
        return self._masks[key]

    def png(self) -> bytes:
        stride = self.width * 3
        raw = b"".join(b"\x00" + self.pixels[r * stride : (r + 1) * stride] for r in range(self.height))  # filter 0 on every row
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
        return _SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")
