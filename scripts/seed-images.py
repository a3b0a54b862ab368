#!/usr/bin/env python3
"""Draws the illustrations of the seed edition (issues/2022-12/) and the logo.

The seed newsletter's own photographs are not ours to copy, so the example edition uses these
simple drawings instead; each edition item's `alt` text describes the drawing it shows.
Standard library only: shapes are signed-distance functions, anti-aliased, written as PNG.

    python3 scripts/seed-images.py issues
"""
import math
import struct
import sys
import zlib
from pathlib import Path

BLUE = (0x15, 0x42, 0x73)
SKY = (0x8f, 0xca, 0xe7)
PALE = (0xe8, 0xf1, 0xf8)
YELLOW = (0xff, 0xb6, 0x12)
ORANGE = (0xe1, 0x70, 0x00)
GREEN = (0x39, 0x87, 0x0c)
VIOLET = (0xa9, 0x00, 0x61)
WHITE = (0xff, 0xff, 0xff)
GREY = (0xb4, 0xc3, 0xd1)


class Canvas:
    def __init__(self, width, height, background):
        """`background` is RGB, or RGBA with alpha 0 for a transparent image."""
        self.w, self.h = width, height
        self.alpha = len(background) == 4
        self.px = [list(background) for _ in range(width * height)]

    def fill(self, sdf, box, color):
        """Paints where sdf(x, y) < 0, with one pixel of anti-aliasing at the edge."""
        x0, y0, x1, y1 = (int(v) for v in box)
        for y in range(max(0, y0 - 2), min(self.h, y1 + 2)):
            row = y * self.w
            for x in range(max(0, x0 - 2), min(self.w, x1 + 2)):
                a = 0.5 - sdf(x + 0.5, y + 0.5)
                if a <= 0:
                    continue
                a = min(a, 1.0)
                p = self.px[row + x]
                if self.alpha:
                    # Colours are painted over the pixel; coverage adds to its opacity.
                    old = p[3] / 255
                    new = a + old * (1 - a)
                    for i in range(3):
                        p[i] = round((color[i] * a + p[i] * old * (1 - a)) / new) if new else color[i]
                    p[3] = round(new * 255)
                    continue
                for i in range(3):
                    p[i] = round(p[i] * (1 - a) + color[i] * a)

    def rect(self, x0, y0, x1, y1, color, r=0):
        cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 - r, (y1 - y0) / 2 - r

        def sdf(x, y):
            dx, dy = abs(x - cx) - hx, abs(y - cy) - hy
            return math.hypot(max(dx, 0), max(dy, 0)) + min(max(dx, dy), 0) - r

        self.fill(sdf, (x0, y0, x1, y1), color)

    def circle(self, cx, cy, r, color, inner=0):
        def sdf(x, y):
            d = math.hypot(x - cx, y - cy)
            return max(d - r, inner - d)

        self.fill(sdf, (cx - r, cy - r, cx + r, cy + r), color)

    def line(self, ax, ay, bx, by, width, color):
        def sdf(x, y):
            px, py, dx, dy = x - ax, y - ay, bx - ax, by - ay
            t = max(0.0, min(1.0, (px * dx + py * dy) / (dx * dx + dy * dy)))
            return math.hypot(px - t * dx, py - t * dy) - width / 2

        pad = width
        self.fill(sdf, (min(ax, bx) - pad, min(ay, by) - pad, max(ax, bx) + pad, max(ay, by) + pad), color)

    def polygon(self, points, color):
        """A convex polygon, points in clockwise order (y down)."""
        edges = []
        for (ax, ay), (bx, by) in zip(points, points[1:] + points[:1]):
            length = math.hypot(bx - ax, by - ay)
            edges.append((ax, ay, (by - ay) / length, -(bx - ax) / length))

        def sdf(x, y):
            return max((x - ax) * nx + (y - ay) * ny for ax, ay, nx, ny in edges)

        xs, ys = [p[0] for p in points], [p[1] for p in points]
        self.fill(sdf, (min(xs), min(ys), max(xs), max(ys)), color)

    def png(self, path):
        raw = bytearray()
        for y in range(self.h):
            raw.append(0)
            for p in self.px[y * self.w:(y + 1) * self.w]:
                raw.extend(p)

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        header = struct.pack(">IIBBBBB", self.w, self.h, 8, 6 if self.alpha else 2, 0, 0, 0)
        data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
        Path(path).write_bytes(data)


W, H = 1104, 552


def text_lines(c, x, y, width, count, color=GREY, gap=34, height=14):
    for i in range(count):
        c.rect(x, y + i * gap, x + (width if i < count - 1 else width * 0.6), y + i * gap + height, color, r=height / 2)


def magazine():
    c = Canvas(W, H, PALE)
    c.rect(302, 46, 802, 506, BLUE, r=36)
    c.rect(330, 74, 774, 478, WHITE, r=10)
    c.rect(330, 74, 774, 150, ORANGE, r=10)
    c.rect(330, 120, 774, 150, ORANGE)
    c.rect(360, 100, 600, 124, WHITE, r=12)
    c.rect(360, 176, 560, 320, SKY, r=8)
    c.circle(510, 214, 22, YELLOW)
    c.polygon([(360, 320), (430, 240), (500, 320)], GREEN)
    text_lines(c, 584, 184, 160, 4)
    text_lines(c, 360, 350, 384, 4)
    return c


def network():
    c = Canvas(W, H, PALE)
    nodes = [(210, 170), (420, 110), (640, 190), (880, 130), (330, 390), (590, 410), (850, 380)]
    links = [(0, 1), (1, 2), (2, 3), (0, 4), (1, 4), (2, 5), (4, 5), (5, 6), (3, 6), (2, 6)]
    for a, b in links:
        c.line(*nodes[a], *nodes[b], 10, GREY)
    colors = [BLUE, ORANGE, GREEN, VIOLET, YELLOW, BLUE, ORANGE]
    for (x, y), color in zip(nodes, colors):
        c.circle(x, y, 52, WHITE)
        c.circle(x, y, 44, color)
        c.circle(x, y - 12, 14, WHITE)
        c.rect(x - 22, y + 8, x + 22, y + 30, WHITE, r=11)
    return c


def bubble(c, x0, y0, x1, y1, color, tail_left=True):
    c.rect(x0, y0, x1, y1, color, r=40)
    if tail_left:
        c.polygon([(x0 + 60, y1 - 2), (x0 + 130, y1 - 2), (x0 + 50, y1 + 60)], color)
    else:
        c.polygon([(x1 - 130, y1 - 2), (x1 - 60, y1 - 2), (x1 - 50, y1 + 60)], color)


def infosheet():
    c = Canvas(W, H, PALE)
    c.rect(150, 50, 500, 510, WHITE, r=14)
    c.rect(150, 50, 500, 120, BLUE, r=14)
    c.rect(150, 100, 500, 120, BLUE)
    text_lines(c, 186, 160, 278, 9)
    bubble(c, 580, 90, 940, 250, ORANGE, tail_left=True)
    bubble(c, 640, 300, 980, 440, GREEN, tail_left=False)
    text_lines(c, 630, 140, 260, 2, WHITE, gap=46, height=18)
    text_lines(c, 690, 346, 240, 2, WHITE, gap=46, height=18)
    return c


def conversation():
    c = Canvas(W, H, PALE)
    bubble(c, 160, 80, 640, 320, BLUE, tail_left=True)
    bubble(c, 470, 220, 950, 440, ORANGE, tail_left=False)
    text_lines(c, 220, 140, 340, 2, WHITE, gap=50, height=20)
    text_lines(c, 530, 290, 340, 2, WHITE, gap=50, height=20)
    return c


def blocks():
    c = Canvas(W, H, PALE)
    c.rect(0, 470, W, H, GREY)
    rows = [
        [(282, ORANGE), (452, BLUE), (622, GREEN)],
        [(367, VIOLET), (537, YELLOW)],
        [(452, SKY)],
    ]
    for level, row in enumerate(rows):
        y1 = 470 - level * 130
        for x, color in row:
            c.rect(x, y1 - 124, x + 164, y1 - 4, color, r=10)
    return c


def key():
    c = Canvas(W, H, PALE)
    c.circle(330, 276, 130, YELLOW, inner=58)
    c.rect(440, 246, 900, 306, YELLOW, r=12)
    c.rect(740, 300, 790, 380, YELLOW, r=8)
    c.rect(820, 300, 870, 410, YELLOW, r=8)
    c.circle(330, 276, 100, ORANGE, inner=88)
    return c


def bridge():
    c = Canvas(W, H, SKY)
    c.polygon([(0, 300), (240, 300), (300, 400), (0, 400)], GREEN)
    c.polygon([(804, 400), (864, 300), (W, 300), (W, 400)], GREEN)
    c.circle(552, 400, 300, ORANGE, inner=274)
    for x in range(328, 800, 56):
        top = 400 - math.sqrt(max(0, 287 ** 2 - (x - 552) ** 2))
        if top < 290:
            c.line(x, top, x, 292, 6, ORANGE)
    c.rect(200, 286, 904, 308, VIOLET, r=6)
    c.rect(0, 400, W, H, BLUE)
    for x in range(60, W, 180):
        c.rect(x, 450, x + 90, 460, SKY, r=5)
    return c


def logo():
    c = Canvas(96, 96, (0, 0, 0, 0))
    c.polygon([(12, 10), (84, 10), (84, 50), (48, 88), (12, 50)], WHITE)
    c.polygon([(24, 22), (72, 22), (72, 48), (48, 74), (24, 48)], ORANGE)
    return c


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "issues")
    logo().png(root / "logo.png")
    folder = root / "2022-12"
    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in [("magazine", magazine), ("leernetwerk", network), ("infoblad", infosheet),
                       ("gesprek", conversation), ("bouwstenen", blocks), ("sleutel", key), ("brug", bridge)]:
        draw().png(folder / f"{name}.png")
        print(folder / f"{name}.png")


if __name__ == "__main__":
    main()
