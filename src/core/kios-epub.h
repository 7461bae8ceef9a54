/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * KiosEpub: the container of an EPUB, read with libarchive and libxml2
 * (container.xml, the OPF, the NCX or the EPUB 3 nav document). It follows
 * MuPDF's spine rule exactly: itemrefs whose idref is not in the manifest are
 * skipped, linear="no" items are kept, so spine index k == MuPDF chapter k ==
 * KOReader DocFragment[k + 1].
 *
 * Thread-safety: an instance is immutable after kios_epub_open() except for
 * kios_epub_read_member(), which opens its own archive handle per call, so
 * one instance may be shared by threads. Opening is blocking (a worker's job).
 */

typedef struct
{
  char *id;
  char *href; /* full path inside the zip, percent-decoded, e.g. "EPUB/text/ch001.xhtml" */
  char *media_type;
} KiosSpineItem;

typedef struct
{
  char *title;
  int   level;    /* 0 for top-level entries */
  int   chapter;  /* spine index, or -1 when the target is not in the spine */
  char *href;     /* full path inside the zip, without the fragment */
  char *fragment; /* the part after '#', or NULL */
} KiosTocEntry;

typedef enum {
  KIOS_EPUB_ENCRYPTION_NONE = 0,
  KIOS_EPUB_ENCRYPTION_FONTS_ONLY, /* only IDPF or Adobe font obfuscation */
  KIOS_EPUB_ENCRYPTION_DRM,        /* anything else is encrypted */
} KiosEpubEncryption;

typedef struct _KiosEpub KiosEpub;

/* clang-format off */
KiosEpub            *kios_epub_open                  (const char    *path,
                                                      GError       **error);
KiosEpub            *kios_epub_ref                   (KiosEpub      *self);
void                 kios_epub_unref                 (KiosEpub      *self);

const char          *kios_epub_get_path              (KiosEpub      *self);
const char          *kios_epub_get_title             (KiosEpub      *self);
const char * const  *kios_epub_get_authors           (KiosEpub      *self);
const char          *kios_epub_get_language          (KiosEpub      *self);
const char          *kios_epub_get_version           (KiosEpub      *self);
const char          *kios_epub_get_cover_href        (KiosEpub      *self);
guint                kios_epub_get_n_spine_items     (KiosEpub      *self);
const KiosSpineItem *kios_epub_get_spine_item        (KiosEpub      *self,
                                                      guint          index);
int                  kios_epub_find_spine_index      (KiosEpub      *self,
                                                      const char    *href);
/* Array of KiosTocEntry (element-type), in reading order; nav.xhtml for EPUB 3, else the NCX. */
GPtrArray           *kios_epub_get_toc               (KiosEpub      *self);
KiosEpubEncryption   kios_epub_get_encryption        (KiosEpub      *self);

GBytes              *kios_epub_read_member           (KiosEpub      *self,
                                                      const char    *zip_path,
                                                      gsize          max_size,
                                                      GError       **error);
/* Writes a copy without META-INF/encryption.xml and with obfuscated fonts restored. */
gboolean             kios_epub_write_deobfuscated    (KiosEpub      *self,
                                                      const char    *dest_path,
                                                      GError       **error);
/* The same, with the members named in replacements (name -> GBytes) replaced. */
gboolean             kios_epub_write_clean_copy      (KiosEpub      *self,
                                                      const char    *dest_path,
                                                      GHashTable    *replacements,
                                                      GError       **error);

void                 kios_toc_entry_free             (KiosTocEntry  *entry);
/* clang-format on */

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KiosEpub, kios_epub_unref)

G_END_DECLS
