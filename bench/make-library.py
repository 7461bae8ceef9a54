#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
"""Writes a deterministic library of distinct EPUBs for the library benchmark.

    make-library.py DIR [--small N] [--large M]

DIR/small/NNN/book-NNNNN.epub: N small books (default 10000), a few KB each,
each with its own title, author, series, cover and text (so each has its own
KOReader hash). DIR/large/book-NNNN.epub: M large-ish books (default 0):
300+ chapters and a picture per chapter. The same arguments always give the
same bytes (fixed zip times, a seeded generator).
"""

import argparse
import os
import random
import struct
import zipfile
import zlib

FIRST = ["Émile", "Zoë", "José", "Ana", "Björn", "Chloé", "Dmitri", "Eleanor", "François",
         "Grace", "Hélène", "Ivan", "Jane", "Kenji", "Léa", "Mårten", "Noël", "Olivia"]
LAST = ["Zola", "Austen", "Núñez", "Brontë", "Søndergaard", "Dostoevsky", "Wharton",
        "Gaskell", "Eliot", "Hardy", "Müller", "Tanizaki", "Lagerlöf", "Ibáñez"]
WORDS = ("the of and a to in is was he for it with as his on be at by had not are but "
         "from or have an they which one you were her all she there would their we him "
         "been has when who will more no if out so said what up its about into than them "
         "can only other new some could time these two may then do first any my now such "
         "like our over man me even most made after also did many before must through back "
         "years where much your way well down should because each just those people").split()
SERIES = ["The Long Road", "Harbour Lights", "Éclats", "Northern Tales", "Quiet Hours"]
FIXED_TIME = (2020, 1, 1, 0, 0, 0)

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def opf(title, author, series, index, chapters, images):
    manifest = ['<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
                '<item id="cover" href="cover.png" media-type="image/png" properties="cover-image"/>']
    spine = []
    for c in range(chapters):
        manifest.append(f'<item id="c{c}" href="c{c}.xhtml" media-type="application/xhtml+xml"/>')
        spine.append(f'<itemref idref="c{c}"/>')
    for c in range(images):
        manifest.append(f'<item id="i{c}" href="i{c}.png" media-type="image/png"/>')
    series_meta = ""
    if series is not None:
        series_meta = (f'<meta name="calibre:series" content="{esc(series)}"/>'
                       f'<meta name="calibre:series_index" content="{index}"/>')
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:identifier id="id">urn:kios-bench:{esc(title)}</dc:identifier>
    <dc:title>{esc(title)}</dc:title>
    <dc:creator>{esc(author)}</dc:creator>
    <dc:language>en</dc:language>
    <meta property="dcterms:modified">2020-01-01T00:00:00Z</meta>
    <meta name="cover" content="cover"/>
    {series_meta}
  </metadata>
  <manifest>{"".join(manifest)}</manifest>
  <spine>{"".join(spine)}</spine>
</package>
"""


def chapter(title, rng, paragraphs, image):
    body = []
    for _ in range(paragraphs):
        body.append("<p>" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))) + ".</p>")
    if image is not None:
        body.append(f'<p><img src="{image}" alt=""/></p>')
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{esc(title)}</title></head>
<body><h1>{esc(title)}</h1>{"".join(body)}</body></html>
"""


def nav(chapters):
    items = "".join(f'<li><a href="c{c}.xhtml">Chapter {c + 1}</a></li>' for c in range(chapters))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>Contents</title></head>
<body><nav epub:type="toc"><ol>{items}</ol></nav></body></html>
"""


def png(rng, size=64, height=None):
    height = height or size
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(size * 3)) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def write(path, entries):
    with zipfile.ZipFile(path, "w") as z:
        info = zipfile.ZipInfo("mimetype", FIXED_TIME)
        z.writestr(info, "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, data in entries:
            info = zipfile.ZipInfo(name, FIXED_TIME)
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def book(path, n, rng, chapters, paragraphs, images):
    title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {n}"
    author = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    series = SERIES[n % len(SERIES)] if n % 3 == 0 else None
    entries = [("META-INF/container.xml", CONTAINER),
               ("OEBPS/content.opf", opf(title, author, series, n % 12 + 1, chapters, images)),
               ("OEBPS/nav.xhtml", nav(chapters))]
    for c in range(chapters):
        image = f"i{c}.png" if c < images else None
        entries.append((f"OEBPS/c{c}.xhtml", chapter(f"Chapter {c + 1}", rng, paragraphs, image)))
    for c in range(images):
        entries.append((f"OEBPS/i{c}.png", png(rng)))
    # A cover, as real books have one (and calibre would otherwise render the first page).
    entries.append(("OEBPS/cover.png", png(rng, 40, 60)))
    write(path, entries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--small", type=int, default=10000)
    parser.add_argument("--large", type=int, default=0)
    args = parser.parse_args()

    for n in range(args.small):
        rng = random.Random(n)
        folder = os.path.join(args.dir, "small", f"{n // 1000:03d}")
        os.makedirs(folder, exist_ok=True)
        book(os.path.join(folder, f"book-{n:05d}.epub"), n, rng, chapters=2, paragraphs=3, images=0)
    for n in range(args.large):
        rng = random.Random(1_000_000 + n)
        folder = os.path.join(args.dir, "large")
        os.makedirs(folder, exist_ok=True)
        book(os.path.join(folder, f"book-{n:04d}.epub"), 100_000 + n, rng, chapters=320, paragraphs=4,
             images=20)


if __name__ == "__main__":
    main()
