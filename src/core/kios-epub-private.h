/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <libxml/tree.h>

#include "kios-epub.h"
#include "kios-limits.h"

G_BEGIN_DECLS

/*
 * What the parts of the EPUB container share: the instance and its public
 * API (kios-epub.c), zip access (kios-epub-zip.c), the package parsers with
 * their XML and href helpers (kios-epub-package.c) and the copies without
 * font obfuscation (kios-epub-clean.c).
 */

/* Caps on what we read from a (possibly hostile) book at open time. */
#define MAX_CONTAINER_SIZE KIOS_LIMIT_CONTAINER_BYTES
#define MAX_OPF_SIZE KIOS_LIMIT_OPF_BYTES
#define MAX_TOC_SIZE KIOS_LIMIT_TOC_BYTES
#define MAX_ENCRYPTION_SIZE KIOS_LIMIT_ENCRYPTION_BYTES
/* What read_member() allows when the caller passes 0. */
#define DEFAULT_MEMBER_SIZE KIOS_LIMIT_MEMBER_BYTES
#define MAX_ZIP_ENTRIES KIOS_LIMIT_ZIP_MEMBERS
#define MAX_TOC_ENTRIES KIOS_LIMIT_TOC_ENTRIES
#define MAX_SPINE_ITEMS KIOS_LIMIT_SPINE_ITEMS

#define IDPF_FONT_ALGORITHM "http://www.idpf.org/2008/embedding"
#define ADOBE_FONT_ALGORITHM "http://ns.adobe.com/pdf/enc#RC"
#define IDPF_OBFUSCATED_LEN 1040
#define ADOBE_OBFUSCATED_LEN 1024

typedef enum {
  OBFUSCATION_IDPF = 1,
  OBFUSCATION_ADOBE,
} Obfuscation;

struct _KiosEpub
{
  gatomicrefcount ref_count;

  char  *path;
  char  *opf_path;
  char  *title;
  char **authors;
  char  *language;
  char  *version;
  char  *cover_href;
  char  *unique_identifier;
  char  *uuid_identifier; /* first urn:uuid identifier, for Adobe's key */

  GPtrArray  *spine;            /* KiosSpineItem */
  GHashTable *spine_index;      /* zip path → index + 1, first occurrence */
  GHashTable *spine_index_fold; /* the same, keys ASCII-lowercased (owned) */
  GPtrArray  *toc;              /* KiosTocEntry */
  GHashTable *obfuscated;       /* zip path → Obfuscation */

  KiosEpubEncryption encryption;
};

typedef struct
{
  char *id;
  char *href;
  char *media_type;
  char *properties;
} ManifestItem;

/* clang-format off */
/* zip access (kios-epub-zip.c) */
const char      *kios_epub_archive_message   (struct archive       *a);
const char      *kios_epub_entry_name        (struct archive_entry *entry);
int              kios_epub_next_entry        (struct archive        *a,
                                              const char            *path,
                                              struct archive_entry **entry,
                                              GError               **error);
struct archive  *kios_epub_open_archive      (const char           *path,
                                              GError              **error);
GBytes          *kios_epub_read_entry_data   (struct archive       *a,
                                              const char           *zip_path,
                                              gsize                 max_size,
                                              GError              **error);
GBytes          *kios_epub_read_member_from  (const char           *path,
                                              const char           *zip_path,
                                              gsize                 max_size,
                                              GError              **error);
xmlDoc          *kios_epub_parse_member      (const char           *path,
                                              const char           *zip_path,
                                              gsize                 max_size,
                                              GError              **error);
gboolean         kios_epub_is_not_found      (const GError         *error);
gboolean         kios_epub_find_members      (const char           *path,
                                              const char *const    *names,
                                              guint                 n_names,
                                              gboolean             *present,
                                              GError              **error);

/* the package (kios-epub-package.c) */
char            *kios_epub_find_opf_path     (const char           *path,
                                              GError              **error);
gboolean         kios_epub_parse_opf         (KiosEpub             *self,
                                              GError              **error);
void             kios_epub_parse_encryption  (KiosEpub             *self);
/* clang-format on */

G_END_DECLS
