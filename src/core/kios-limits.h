/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

/*
 * Every limit Kios puts on what it reads, in one place. A small hostile file
 * or server must never make Kios use gigabytes of memory or minutes of CPU,
 * so each limit is enforced while reading, not after. Each value says why it
 * was chosen; each has a test that crosses it (tests/core/test-limits.c for
 * the book side, test-limits-sync.c and test-limits-store.c for the rest).
 *
 * The figures below come from MUPDF.md (measured on the 2-core test VM) and
 * from the largest real books the tests carry (tests/books).
 */

/* ---- Zip archives (EPUB) ------------------------------------------------ */

/* Members per book. Real EPUBs hold tens to a few thousand members (a
 * picture book with one image per page: ~2,000); each costs a directory
 * entry in MuPDF and in libarchive. */
#define KIOS_LIMIT_ZIP_MEMBERS 10000

/* Spine items per book. One chapter is one laid-out MuPDF tree; the KJV
 * split per chapter of the Bible has 1,189, nothing real comes near this. */
#define KIOS_LIMIT_SPINE_ITEMS 10000

/* Table of contents entries (NCX or nav): cheap strings, so generous. */
#define KIOS_LIMIT_TOC_ENTRIES 100000

/* Bytes all members of a book may inflate to, together. The largest
 * illustrated EPUBs are ~300 MB; inflating 512 MiB costs ~2 s of CPU, so a
 * zip bomb spread over many members is stopped within the 10 s budget. */
#define KIOS_LIMIT_BOOK_INFLATED ((gint64) 512 << 20)

/* Bytes one member (picture, font, audio) may inflate to. A 40-megapixel
 * JPEG is ~20 MB; CJK fonts ~20 MB. */
#define KIOS_LIMIT_MEMBER_BYTES ((gsize) 64 << 20)

/* Bytes one chapter (XHTML spine item) may inflate to. MuPDF 1.21 holds
 * ~30 bytes of layout per byte of text (MUPDF.md section 2): 8 MiB of text
 * is ~250 MB laid out, under the 400 MB a hostile book may cost. A whole
 * Bible or War and Peace in one file (4-5 MB) still opens.
 *
 * The first page of a chapter costs laying out all of it (MuPDF 1.21 cannot
 * lay out part of one): 8 MiB of text is ~1 s of CPU on the 2-core machine,
 * the most one page may cost. The same bound holds for the chapter's
 * layout cost (kios_flow_layout_cost), where each element counts as
 * KIOS_LIMIT_ELEMENT_BYTES. */
#define KIOS_LIMIT_CHAPTER_BYTES ((gsize) 8 << 20)

/* What one element costs MuPDF to lay out, in bytes of text: a box, its
 * style matched against the book's CSS, its font looked up by name (~10 us
 * per element against ~0.1 us per byte of text, measured on the 2-core
 * machine). So 8 MiB of markup alone, ~900,000 elements, took 10-20 s and
 * 600 MB; a chapter is refused past ~87,000 elements without text, fewer
 * with it. 4 MB of text in 40,000 paragraphs (a Bible's verses) still
 * opens. */
#define KIOS_LIMIT_ELEMENT_BYTES 96

/* Bytes of one style sheet. Real books' CSS is under 200 KB; MuPDF parses
 * and matches every rule against every element. */
#define KIOS_LIMIT_CSS_BYTES ((gsize) 2 << 20)

/* Bytes of one SVG picture or SVG chapter: MuPDF parses the whole tree and
 * redraws it per page; real SVG illustrations are under 1 MB. */
#define KIOS_LIMIT_SVG_BYTES ((gsize) 4 << 20)

/* The package files read at open (container.xml, OPF, NCX or nav,
 * encryption.xml). The OPF of a 10,000-item book is ~2 MB. */
#define KIOS_LIMIT_CONTAINER_BYTES ((gsize) 1 << 20)
#define KIOS_LIMIT_OPF_BYTES ((gsize) 16 << 20)
#define KIOS_LIMIT_TOC_BYTES ((gsize) 32 << 20)
#define KIOS_LIMIT_ENCRYPTION_BYTES ((gsize) 4 << 20)

/* ---- Pictures ----------------------------------------------------------- */

/* Decoded pixels of one picture. MuPDF decodes a picture whole (4 bytes a
 * pixel): 40 MP is 160 MB, and an A4 page scanned at 600 dpi (35 MP) fits.
 * Larger pictures are shown as a placeholder saying so. */
#define KIOS_LIMIT_IMAGE_PIXELS ((gint64) 40 * 1000 * 1000)

/* Either side of a picture, in pixels: MuPDF's pixmaps use int strides. */
#define KIOS_LIMIT_IMAGE_SIDE 65535

/* One allocation by MuPDF, whatever asks for it (a PDF's pictures are not
 * scanned ahead like an EPUB's): the largest legitimate ones are a 40 MP
 * picture (160 MB) and an 8192 x 8192 page rendered for kiosctl (200 MB).
 * Past it MuPDF throws, and the page becomes an error page. */
#define KIOS_LIMIT_MUPDF_ALLOC ((size_t) 256 << 20)

/* ---- Layout ------------------------------------------------------------- */

/* Element nesting. MuPDF's box generation recurses per level and crashed
 * at 10,000 with an 8 MiB stack (MUPDF.md section 7); 1,000 lays out in
 * milliseconds on the worker's 64 MiB stack. */
#define KIOS_LIMIT_XML_DEPTH 1000

/* A PDF's outline (its table of contents) is read this many levels deep:
 * real ones nest 3-5 (part, chapter, section); deeper entries are left out,
 * so a hostile outline cannot make the reading recurse without end. */
#define KIOS_LIMIT_PDF_OUTLINE_DEPTH 32

/* Bytes of a PDF's title or author read (with the terminating NUL): a
 * title is a line; a longer one is cut at a character, never dropped. */
#define KIOS_LIMIT_PDF_METADATA_BYTES 1024

/* The first bytes read to tell a book's format. */
#define KIOS_LIMIT_SNIFF_BYTES 1024

/* Bytes of any XML or XHTML document Kios parses itself. */
#define KIOS_LIMIT_XML_BYTES (64 * 1024 * 1024)

/* Characters without a break opportunity. MuPDF's line breaking is
 * quadratic in a word's length: 20 KB took 0.13 s, 100 KB 3.3 s. */
#define KIOS_LIMIT_WORD_CHARS 10000

/* Bytes of text MuPDF gets in one flow (a paragraph, or the inline text
 * between two blocks). Drawing any page walks the whole flow it is part
 * of, so paginating one 20 MB paragraph was quadratic (~100 s for a page at
 * half way). Longer flows are cut at a space into pieces of this size:
 * ~5,000 words, a few pages, well under a millisecond a walk. */
#define KIOS_LIMIT_FLOW_BYTES (32 * 1024)

/* Markup a cut of a long flow copies to reopen the inline elements open
 * there (kios_flow_split): past it they are reopened without their
 * attributes, and past it in names alone the flow is left whole. Real
 * books nest a few inline elements (~100 bytes of start tags); 4 KiB keeps
 * a hostile nesting of long tags from multiplying the chapter at every
 * cut (crossed in tests/core/test-document-pieces.c). */
#define KIOS_LIMIT_FLOW_REOPEN_BYTES 4096

/* Block children of one element that MuPDF sees. MuPDF draws a page by
 * looking at every child block of each block the page touches: 80,000
 * sibling paragraphs cost 80,000 looks per page, and reading the text of
 * the pages before one at half way took minutes. Past this many, the next
 * blocks are wrapped in groups of this many, <div class="kios-group">, which
 * a page outside them skips in one look (kios_flow_split). Only chapters with
 * that many sibling blocks change, and only there can a "p + p" style miss
 * one paragraph in this many. */
#define KIOS_LIMIT_SIBLING_BLOCKS 1024

/* The stack of the document worker thread: MuPDF recurses per nesting level
 * (see KIOS_LIMIT_XML_DEPTH). */
#define KIOS_LIMIT_WORKER_STACK (64u << 20)

/* MuPDF's resource store: a few laid-out chapters of a large book, far
 * under the 150 MB reading budget. */
#define KIOS_LIMIT_MUPDF_STORE (64u << 20)

/* ---- Limits of other parts, gathered here -------------------------------
 *
 * The files named define their local names (KIOS_HTTP_DEFAULT_*, MAX_*, …)
 * as these, so a value changes here only.
 */

/* sync/kios-http.h (and kios-http.c for the header lines and side
 * bodies): a server that does not connect in 5 s is down for a reader
 * waiting on it, 15 s covers a slow API answer; a reply larger than 8 MiB
 * is not an API answer (callers raise it for books); 5 redirects is what
 * browsers' loops need at most; 256 header lines is far beyond any real
 * server (real ones send 10-30): the lines past it are dropped as they
 * arrive, the reply still counts. With a sink (a download), the body of an
 * answer that is not 2xx (an error page, a login form) is kept to its first
 * 64 KiB, enough to tell what the server sent; the rest is read and
 * dropped. */
#define KIOS_LIMIT_HTTP_CONNECT_TIMEOUT_MS 5000
#define KIOS_LIMIT_HTTP_TIMEOUT_MS 15000
#define KIOS_LIMIT_HTTP_RESPONSE_BYTES (8 * 1024 * 1024)
#define KIOS_LIMIT_HTTP_REDIRECTS 5
#define KIOS_LIMIT_HTTP_HEADER_LINES 256
#define KIOS_LIMIT_HTTP_SIDE_BODY_BYTES (64 * 1024)

/* sync/kios-kosync-client.c: a progress document is a few hundred bytes and
 * three levels deep; a probe of a candidate mount must fail fast. */
#define KIOS_LIMIT_KOSYNC_JSON_BYTES (256 * 1024)
#define KIOS_LIMIT_KOSYNC_JSON_DEPTH 32
#define KIOS_LIMIT_KOSYNC_PROBE_MS 5000

/* sync/kios-readium-client.h, .c and kios-readium-backend.c: a progression
 * document is under 2 KB; its strings (labels, device names) are shown, not
 * stored whole: cut after 1,024 characters, between two of them. The chapter
 * read to map a position is bounded by KIOS_LIMIT_CHAPTER_BYTES: a chapter
 * larger than that is refused for reading anyway. */
#define KIOS_LIMIT_READIUM_DOCUMENT_BYTES (256 * 1024)
#define KIOS_LIMIT_READIUM_JSON_DEPTH 64
#define KIOS_LIMIT_READIUM_TEXT_CHARS 1024
#define KIOS_LIMIT_READIUM_TIMEOUT_MS 15000

/* sync/kios-opds-feed.h, .c and kios-opds-client.h, .c: a feed page of
 * 5,000 entries is ~10 MB (entries past it are dropped and the feed marked
 * truncated, Atom and OPDS 2 alike); books up to 1 GiB; downloads get 2
 * minutes. */
#define KIOS_LIMIT_OPDS_FEED_BYTES (16 * 1024 * 1024)
#define KIOS_LIMIT_OPDS_ENTRIES 5000
#define KIOS_LIMIT_OPDS_JSON_DEPTH 64
#define KIOS_LIMIT_OPDS_SHORT_TEXT 1024
#define KIOS_LIMIT_OPDS_SUMMARY_TEXT (32 * 1024)
#define KIOS_LIMIT_OPDS_HREF_BYTES 8192
#define KIOS_LIMIT_OPDS_SMALL_DOCUMENT (256 * 1024)
#define KIOS_LIMIT_OPDS_BOOK_BYTES ((gsize) 1024 * 1024 * 1024)
#define KIOS_LIMIT_OPDS_TIMEOUT_MS 30000
#define KIOS_LIMIT_OPDS_DOWNLOAD_MS 120000

/* sync/kios-opds-atom.c and kios-opds2.c: authors kept per entry (an
 * anthology names tens; the ones past it are dropped, never one cut in
 * two) and facet links kept per feed (Calibre-Web's author and tag facets
 * reach a few hundred; the ones past it are dropped). */
#define KIOS_LIMIT_OPDS_AUTHORS 64
#define KIOS_LIMIT_OPDS_FACETS 500

/* sync/kios-opds2.c and kios-opds-atom.c: what one OPDS document may list,
 * read in order and the rest ignored. Real feeds give an entry 2-10 links
 * (one per format, a cover, a thumbnail, progression) and a feed page
 * 5-20 navigation links; 256 of each is far past them, and an entry whose
 * JSON or XML holds a million links costs one count, not a million
 * resolved URLs. A link names 1-3 rels (16). An entry's pictures are a
 * cover and a thumbnail, at most one per size (64). Komga and Kavita answer
 * searches in a few groups (256); facet groups are sort orders and
 * filters, a handful (64); a sign-in document offers 1-3 methods (64).
 * These and the three below are crossed in tests/core/test-limits-opds.c. */
#define KIOS_LIMIT_OPDS_LINKS 256
#define KIOS_LIMIT_OPDS_LINK_RELS 16
#define KIOS_LIMIT_OPDS_IMAGES 64
#define KIOS_LIMIT_OPDS_GROUPS 256
#define KIOS_LIMIT_OPDS_FACET_GROUPS 64
#define KIOS_LIMIT_OPDS_AUTH_METHODS 64

/* sync/kios-opds2.c and kios-opds-atom.c: a language tag (BCP 47) is a few
 * bytes ("en", "pt-BR", "zh-Hant-TW"); the longest valid ones are ~35, so
 * 64 bytes keeps every real tag whole. */
#define KIOS_LIMIT_OPDS_LANGUAGE_BYTES 64

/* sync/kios-opds-atom.c: the parser's own words quoted in the message a
 * person sees when a feed is not well-formed XML: libxml2's messages are
 * under 100 bytes but quote the element names, which a server chooses; 200
 * bytes keeps the message one readable line. */
#define KIOS_LIMIT_OPDS_ERROR_DETAIL_BYTES 200

/* sync/kios-opds-atom.c: the bytes looked at to tell that a server sent an
 * HTML page (a login form) instead of a catalog. "<!DOCTYPE html>" or
 * "<html" is within the first few hundred bytes of every real page, after
 * at most a BOM, comments and white space. */
#define KIOS_LIMIT_OPDS_SNIFF_BYTES 1024

/* sync/kios-kobo-client.h and kios-kobo-library.h: Kobo servers answer the
 * library sync slowly (90 s); 500 pages of 100 items is 50,000 books, half
 * the catalog cap (a server with more pages fails the sync, nothing is
 * stored); 512 MiB is past any real KEPUB (enforced while the download
 * streams); books new to a full catalog are skipped. */
#define KIOS_LIMIT_KOBO_TIMEOUT_MS 90000
#define KIOS_LIMIT_KOBO_SYNC_PAGES 500
#define KIOS_LIMIT_KOBO_BOOK_BYTES (512 * 1024 * 1024)
#define KIOS_LIMIT_KOBO_CATALOG 100000

/* sync/kios-kobo-library.c: what one BookMetadata brings into the catalog.
 * A book names a few contributors (an anthology tens): 50 are kept, the
 * ones past it dropped. Servers list one to four download formats (EPUB,
 * EPUB3, KEPUB, PDF): 20 leaves room, the ones past it are dropped. An
 * entitlement id is a UUID or a number (36 characters at most); one longer
 * than 256 bytes is no id, and the item is skipped. */
#define KIOS_LIMIT_KOBO_CONTRIBUTORS 50
#define KIOS_LIMIT_KOBO_DOWNLOAD_URLS 20
#define KIOS_LIMIT_KOBO_ID_BYTES 256

/* sync/kios-kobo-library.c and kios-kobo-client.c: a cover asked for at
 * 300×450 is a JPEG of tens of kilobytes; 8 MiB leaves room for a server
 * that ignores the size and sends its full scan, and refuses anything
 * larger while it streams. A book download may take long on a slow link
 * (30 minutes for 512 MiB is 300 kB/s) but never sits silent for a minute:
 * a server that stops sending is given up after 60 s. The catalog key is a
 * random UUID (36 characters) Kios draws at first connect; one over 64 bytes
 * in the stored settings was not written by Kios and is drawn again. */
#define KIOS_LIMIT_KOBO_COVER_BYTES (8 * 1024 * 1024)
#define KIOS_LIMIT_KOBO_DOWNLOAD_MS (30 * 60 * 1000)
#define KIOS_LIMIT_KOBO_DOWNLOAD_STALL_MS 60000
#define KIOS_LIMIT_KOBO_CATALOG_KEY_BYTES 64

/* sync/kios-kobo-client.c: a sync token is base64 of a small JSON (CW's is
 * under 1 KB, Komga's a short id); one of 64 KiB or more is not kept, and
 * the next sync starts over from the stored one. */
#define KIOS_LIMIT_KOBO_SYNC_TOKEN_BYTES (64 * 1024)

/* sync/kios-sync-normalize.c: a KOReader progress string longer than any
 * xpointer a book produces (CWA refuses more than 255 characters) is not
 * looked at: 4,096 bytes. A fragment id names a spine item, and no book
 * has 100,000 of them. A page number of more than 12 digits is past any
 * PDF (and past an int). */
#define KIOS_LIMIT_SYNC_PROGRESS_BYTES 4096
#define KIOS_LIMIT_SYNC_FRAGMENTS 100000
#define KIOS_LIMIT_SYNC_PAGE_DIGITS 12

/* sync/kios-redact.c: strings remembered for redaction (a secret and its
 * URI-escaped form count apart when they differ). A session registers a
 * handful (one password or token per source); past the limit the oldest is
 * forgotten, so a process that keeps registering new ones cannot grow
 * without end or make each redaction slower than 256 replacements. */
#define KIOS_LIMIT_REDACT_SECRETS 256

/* kios-library-store.c: 5 s waiting on SQLite's lock covers a sync commit
 * by kiosctl; the sync log keeps the last 1,000 events (months of syncing,
 * under 10 MB with every text full), each detail cut to 4,096 bytes at a
 * character boundary (an error with its redacted URL is under 1 KB). */
#define KIOS_LIMIT_STORE_BUSY_MS 5000
#define KIOS_LIMIT_STORE_SYNC_LOG_ROWS 1000
#define KIOS_LIMIT_STORE_SYNC_LOG_DETAIL 4096

/* kios-lua-table.c: KOReader's sidecar files (<book>.sdr/metadata.*.lua).
 * A sidecar holds a book's settings and its annotations, ~500 bytes each:
 * a heavily annotated book (5,000 highlights) is ~3 MB, so 16 MiB is far
 * past any real one. KOReader nests at most five levels (root,
 * annotations, an entry, a PDF position, its box); 32 leaves room and keeps
 * the recursive parser's stack small. 500,000 values (keys and entries) is
 * ~7 times the 5,000-highlight book and bounds the tree at ~40 MB even for
 * a file of one-byte values. */
#define KIOS_LIMIT_LUA_BYTES ((gsize) 16 << 20)
#define KIOS_LIMIT_LUA_DEPTH 32
#define KIOS_LIMIT_LUA_VALUES 500000

/* kios-library-scan.c: a books folder's EPUBs read for their listing (title,
 * authors, series), thousands at a time on two workers. container.xml is a
 * few hundred bytes in real books: 64 KiB is far past any. The package
 * documents of one book are read within 4 MiB together (a 10,000-item
 * book's is ~2 MB; a zip listing many .opf members before its container
 * cannot make a worker hold more). Folders below a books folder are walked
 * 64 levels deep: real collections nest a few (author, series), and the
 * walk recurses once per level, so a deeper tree (or a loop of bind
 * mounts) is not followed further. */
#define KIOS_LIMIT_LIBRARY_CONTAINER_BYTES (64 * 1024)
#define KIOS_LIMIT_LIBRARY_OPF_BYTES ((gsize) 4 << 20)
#define KIOS_LIMIT_LIBRARY_FOLDER_DEPTH 64

/* kios-book-importer.h, .c: a downloaded book is at most 1 GiB, past any
 * real EPUB or PDF of text, so a server sending without end is stopped
 * there (the sink refuses the write that would cross it). Checking an EPUB
 * reads its first chapter whole, up to 32 MiB inflated: 4 times the
 * largest chapter Kios lays out (KIOS_LIMIT_CHAPTER_BYTES), so a book whose
 * chapters are refused for reading still imports and says so when opened,
 * while a zip bomb in the first chapter costs at most that. */
#define KIOS_LIMIT_IMPORT_BOOK_BYTES ((guint64) 1024 * 1024 * 1024)
#define KIOS_LIMIT_IMPORT_FIRST_CHAPTER_BYTES ((gsize) 32 << 20)
