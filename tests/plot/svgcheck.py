#!/usr/bin/env python3
"""Checks for tests/plot/check.sh, standard library only.

  svgcheck.py svg FILE [--train N] [--val N] [--markers N] [--nodata] [--ymax Y] [--title T]
      FILE is well-formed XML, an <svg> of the expected size whose lines stay
      inside the drawing, with a train line of N points (0: none), a val line
      of N points, N val markers; --nodata: the "no data" text is there;
      --ymax: no tick label above Y; --title: the <title> is T.
  svgcheck.py png FILE
      FILE is a PNG screenshot that shows a plot: big enough, many colours,
      mostly light, with pixels of the train (blue) and val (orange) colours.
"""
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

NS = "{http://www.w3.org/2000/svg}"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def points(el):
    out = []
    for pair in el.get("points").split():
        x, y = pair.split(",")
        out.append((float(x), float(y)))
    return out


def check_svg(path, args):
    want = {}
    i = 0
    while i < len(args):
        if args[i] == "--nodata":
            want["nodata"] = True
            i += 1
        else:
            want[args[i][2:]] = args[i + 1]
            i += 2
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        fail("%s is not well-formed XML: %s" % (path, e))
    except OSError as e:
        fail("cannot read %s: %s" % (path, e))
    if root.tag != NS + "svg":
        fail("%s: the root element is %s, not svg" % (path, root.tag))
    w, h = float(root.get("width")), float(root.get("height"))
    if not (w >= 400 and h >= 300):
        fail("%s: a drawing of %gx%g" % (path, w, h))
    lines = {}
    for el in root.iter(NS + "polyline"):
        pts = points(el)
        for x, y in pts:
            if not (0 <= x <= w and 0 <= y <= h):
                fail("%s: a point (%g, %g) outside the drawing" % (path, x, y))
        xs = [x for x, _ in pts]
        if xs != sorted(xs):
            fail("%s: a line whose steps go back" % path)
        lines[el.get("stroke")] = pts
    texts = ["".join(t.itertext()) for t in root.iter(NS + "text")]
    # the train line is the thinner blue one, the val line the orange one
    train = [p for c, p in lines.items() if c.lower() == "#2563eb"]
    val = [p for c, p in lines.items() if c.lower() == "#ea580c"]
    if len(lines) != len(train) + len(val):
        fail("%s: unexpected lines %s" % (path, sorted(lines)))
    if "train" in want and len(train[0] if train else []) != int(want["train"]):
        fail("%s: a train line of %d points, expected %s" % (path, len(train[0]) if train else 0, want["train"]))
    if "val" in want and len(val[0] if val else []) != int(want["val"]):
        fail("%s: a val line of %d points, expected %s" % (path, len(val[0]) if val else 0, want["val"]))
    if "markers" in want:
        n = sum(1 for g in root.iter(NS + "g") if g.get("fill", "").lower() == "#ea580c"
                for _ in g.iter(NS + "circle"))
        if n != int(want["markers"]):
            fail("%s: %d val markers, expected %s" % (path, n, want["markers"]))
    nodata = any("no data" in t for t in texts)
    if want.get("nodata") and not nodata:
        fail("%s: no 'no data' message" % path)
    if want.get("nodata") is None and nodata:
        fail("%s: says 'no data' but should not" % path)
    if "ymax" in want:
        for t in root.iter(NS + "text"):
            if t.get("text-anchor") == "end":
                try:
                    v = float(t.text)
                except (TypeError, ValueError):
                    continue
                if v > float(want["ymax"]):
                    fail("%s: a loss tick %g above %s" % (path, v, want["ymax"]))
    if "title" in want:
        got = root.find(NS + "title")
        if got is None or got.text != want["title"]:
            fail("%s: title %r, expected %r" % (path, None if got is None else got.text, want["title"]))
    for needed in ("step", "train loss", "val loss"):
        if not any(needed in t for t in texts):
            fail("%s: no text %r (axis label or legend)" % (path, needed))
    print("ok: %s (%d lines, %d texts)" % (path, len(lines), len(texts)))


def png_pixels(path):
    try:
        data = open(path, "rb").read()
    except OSError as e:
        fail("cannot read %s: %s" % (path, e))
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail("%s is not a PNG" % path)
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        fail("%s: a PNG kind this check does not decode (depth %d, type %d)" % (path, depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, p = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[p]
        line = bytearray(raw[p + 1:p + 1 + stride])
        p += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def check_png(path):
    w, h, bpp, rows = png_pixels(path)
    if w < 400 or h < 300:
        fail("%s: %dx%d" % (path, w, h))
    colours, light, blue, orange = {}, 0, 0, 0
    for row in rows:
        for i in range(0, len(row), bpp):
            r, g, b = row[i], row[i + 1], row[i + 2]
            colours[(r, g, b)] = colours.get((r, g, b), 0) + 1
            if r + g + b > 600:
                light += 1
            if abs(r - 0x25) < 40 and abs(g - 0x63) < 40 and abs(b - 0xEB) < 40:
                blue += 1
            if abs(r - 0xEA) < 40 and abs(g - 0x58) < 40 and abs(b - 0x0C) < 40:
                orange += 1
    total = w * h
    if len(colours) < 20:
        fail("%s: only %d colours" % (path, len(colours)))
    if light < total * 0.6:
        fail("%s: not a light background (%d of %d pixels light)" % (path, light, total))
    if blue < 200 or orange < 100:
        fail("%s: too few line pixels (blue %d, orange %d)" % (path, blue, orange))
    print("ok: %s: %dx%d, %d colours, %.0f%% light, %d blue and %d orange pixels"
          % (path, w, h, len(colours), 100.0 * light / total, blue, orange))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "svg":
        check_svg(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 3 and sys.argv[1] == "png":
        check_png(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)
