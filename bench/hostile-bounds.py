#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
# Copyright 2026 The Kios authors
"""Writes the hostile EPUBs of the bounds benchmark into a directory.

bomb.epub      ~1.5 MB, one chapter inflating to 1.5 GiB
lying.epub     a chapter whose zip headers claim 1 KiB but inflate to 1 GiB
bigimage.epub  ~12 KB, a 20000x20000 PNG
paragraph.epub ~70 KB, one 20 MB paragraph (past the chapter limit)
paragraph-7mb.epub one 7 MB paragraph (under it: laid out in bounded flows)
chapter-cap.epub   one paragraph filling the 8 MiB chapter limit
blocks-cap.epub    ~80,000 tiny paragraphs, at the chapter's layout cost limit
breaks-cap.epub    ~80,000 line breaks in one paragraph, at the same limit
markup.epub        8 MiB of tiny paragraphs (~1,000,000 elements: refused)
"""
import struct
import sys
import zlib
import os

CHAPTER_LIMIT = 8 << 20  # KIOS_LIMIT_CHAPTER_BYTES
ELEMENT_BYTES = 96       # KIOS_LIMIT_ELEMENT_BYTES

CONTAINER = (b'<?xml version="1.0"?><container version="1.0" '
             b'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
             b'<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
             b'</rootfiles></container>')


def opf(extra_items=b''):
    return (b'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0" '
            b'unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            b'<dc:title>Hostile</dc:title><dc:identifier id="id">urn:uuid:1</dc:identifier>'
            b'</metadata><manifest><item id="c0" href="c0.xhtml" media-type="application/xhtml+xml"/>'
            + extra_items + b'</manifest><spine><itemref idref="c0"/></spine></package>')


def xhtml(body):
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            b'<head><title>t</title></head><body>' + body + b'</body></html>')


class Zip:
    """A minimal zip writer whose headers may lie about sizes."""

    def __init__(self, path):
        self.f = open(path, 'wb')
        self.cd = []

    def add_raw(self, name, method, data_gen, crc, csize, usize, claim=None):
        off = self.f.tell()
        name = name.encode()
        cu = claim if claim is not None else usize
        self.f.write(struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, method, 0, 0, crc,
                                 csize, cu, len(name), 0) + name)
        for chunk in data_gen:
            self.f.write(chunk)
        self.cd.append(struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, method, 0, 0,
                                   crc, csize, cu, len(name), 0, 0, 0, 0, 0, off) + name)

    def add(self, name, data, method=8, claim=None):
        if method == 0:
            comp = data
        else:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            comp = c.compress(data) + c.flush()
        self.add_raw(name, method, [comp], zlib.crc32(data), len(comp), len(data), claim)

    def add_stream(self, name, pieces, claim=None):
        """Deflates a long stream given as (chunk, repeat) pairs without holding it."""
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        crc = 0
        size = 0
        out = []
        for chunk, n in pieces:
            for _ in range(n):
                crc = zlib.crc32(chunk, crc)
                size += len(chunk)
                out.append(c.compress(chunk))
        out.append(c.flush())
        comp = b''.join(out)
        self.add_raw(name, 8, [comp], crc & 0xffffffff, len(comp), size & 0xffffffff, claim)

    def close(self):
        start = self.f.tell()
        for e in self.cd:
            self.f.write(e)
        end = self.f.tell()
        self.f.write(struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, len(self.cd), len(self.cd),
                                 end - start, start, 0))
        self.f.close()


def base(path, chapter_pieces=None, chapter=None, extra=(), extra_items=b'', claim=None):
    z = Zip(path)
    z.add('mimetype', b'application/epub+zip', method=0)
    z.add('META-INF/container.xml', CONTAINER)
    z.add('OEBPS/content.opf', opf(extra_items))
    if chapter is not None:
        z.add('OEBPS/c0.xhtml', chapter)
    else:
        z.add_stream('OEBPS/c0.xhtml', chapter_pieces, claim)
    for name, data in extra:
        z.add(name, data)
    z.close()


def png(w, h):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    row = b'\0' + b'\xff' * (w * 3)
    c = zlib.compressobj(9)
    idat = b''.join(c.compress(row) for _ in range(h)) + c.flush()
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', idat) + chunk(b'IEND', b''))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head><title>t</title></head><body><p>'
    tail = b'</p></body></html>'
    zeros = b' ' * (1 << 20)
    # 1.5 GiB of spaces in one chapter (honest headers).
    base(os.path.join(out, 'bomb.epub'), [(head, 1), (zeros, 1536), (tail, 1)])
    # The same, but the headers claim 1 KiB.
    base(os.path.join(out, 'lying.epub'), [(head, 1), (zeros, 1024), (tail, 1)], claim=1024)
    # A 20000x20000 PNG (3 KB compressed would need a smarter encoder; zlib gets ~ few hundred KB).
    base(os.path.join(out, 'bigimage.epub'),
         chapter=xhtml(b'<p>Before the picture.</p><p><img src="big.png" alt="big"/></p><p>After.</p>'),
         extra=[('OEBPS/big.png', png(20000, 20000))],
         extra_items=b'<item id="img" href="big.png" media-type="image/png"/>')
    # One 20 MB paragraph of ordinary words.
    words = b'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '
    n = (20 << 20) // len(words)
    base(os.path.join(out, 'paragraph.epub'), [(head, 1), (words, n), (tail, 1)])
    n = (7 << 20) // len(words)
    base(os.path.join(out, 'paragraph-7mb.epub'), [(head, 1), (words, n), (tail, 1)])
    # The largest chapters Kios lays out: text, and markup at the layout cost
    # limit (bytes + ELEMENT_BYTES per element).
    room = CHAPTER_LIMIT - len(head) - len(tail) - 8 * ELEMENT_BYTES
    base(os.path.join(out, 'chapter-cap.epub'), [(head, 1), (words, room // len(words)), (tail, 1)])
    body = head[:-3]
    unit = b'<p>a</p>'
    base(os.path.join(out, 'blocks-cap.epub'),
         [(body, 1), (unit, room // (len(unit) + ELEMENT_BYTES)), (tail[4:], 1)])
    unit = b'<br/>'
    base(os.path.join(out, 'breaks-cap.epub'),
         [(head, 1), (unit, room // (len(unit) + ELEMENT_BYTES)), (tail, 1)])
    unit = b'<p>a</p>'
    base(os.path.join(out, 'markup.epub'), [(body, 1), (unit, room // len(unit)), (tail[4:], 1)])


if __name__ == '__main__':
    main()
