/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "kios-library-store.h"

G_BEGIN_DECLS

/* Exit codes of the kiosctl contract (PRODUCT.md). */
#define KIOSCTL_EXIT_OK 0
#define KIOSCTL_EXIT_ERROR 1 /* a user-facing error, one message on stderr */
#define KIOSCTL_EXIT_USAGE 2

/*
 * Each command group gets argv starting at the command's own name
 * (argv[0] == "hash", "source", …) and returns an exit code.
 */
/* clang-format off */
int  kiosctl_cmd_hash     (int argc, char **argv);
int  kiosctl_cmd_info     (int argc, char **argv);
int  kiosctl_cmd_position (int argc, char **argv);
int  kiosctl_cmd_render   (int argc, char **argv);
int  kiosctl_cmd_source   (int argc, char **argv);  /* kiosctl-source.c */
int  kiosctl_cmd_sync     (int argc, char **argv);  /* kiosctl-sync.c */
/* kiosctl-sync-status.c: sync status|log|enable|disable; -1 for another sync command. */
int  kiosctl_sync_status_dispatch (int argc, char **argv);
int  kiosctl_cmd_browse   (int argc, char **argv);  /* kiosctl-catalog.c */
int  kiosctl_cmd_search   (int argc, char **argv);  /* kiosctl-catalog.c */
int  kiosctl_cmd_download (int argc, char **argv);  /* kiosctl-catalog.c */
int  kiosctl_cmd_find     (int argc, char **argv);  /* kiosctl-find.c */
int  kiosctl_cmd_library  (int argc, char **argv);  /* kiosctl-library.c */
int  kiosctl_cmd_annotations (int argc, char **argv);  /* kiosctl-annotations.c */
int  kiosctl_cmd_annotate (int argc, char **argv);  /* kiosctl-annotations.c */
int  kiosctl_cmd_export   (int argc, char **argv);  /* kiosctl-annotations.c */
int  kiosctl_source_test_opds (const KiosSourceRecord *record); /* kiosctl-catalog.c, for source test */
/* kiosctl-kobo.c: Kobo sync sources (source add/test, browse, search, download, sync). */
char *kiosctl_kobo_settings_for_add (gboolean library_sync);
int   kiosctl_source_test_kobo      (const KiosSourceRecord *record);
int   kiosctl_kobo_browse           (const KiosSourceRecord *record, const char *href, const char *query, gboolean json);
int   kiosctl_kobo_download         (const KiosSourceRecord *record, const char *id, const char *format, gboolean json);
/* -1 when FILE is not a book from a Kobo source (another protocol serves it). */

/* Shared helpers (kiosctl.c). */
KiosLibraryStore *kiosctl_open_store   (GError **error);
int               kiosctl_fail         (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* A core error for a person: "kiosctl: SENTENCE", the same sentence the app
 * shows (kios_error_describe ()). url_or_null names the server (only its
 * host is shown); suggested_url_or_null is offered as "Did you mean …?"
 * where the error is about the address. The core's own (redacted) detail
 * goes to the debug log only. Returns KIOSCTL_EXIT_ERROR. */
int               kiosctl_fail_error   (const GError *error,
                                        const char   *url_or_null,
                                        const char   *suggested_url_or_null);
/* The same, prefixed: "kiosctl: WHAT: SENTENCE". */
int               kiosctl_fail_error_in (const GError *error,
                                         const char   *url_or_null,
                                         const char   *what_format,
                                         ...) G_GNUC_PRINTF (3, 4);
int               kiosctl_usage        (const char *format, ...) G_GNUC_PRINTF (1, 2);
void              kiosctl_print_json   (JsonNode   *node);
/* For a pull's "remote": the position where the remote lands in this book as
 * JSON, or {} when it does not resolve; then the server's own fields. */
JsonNode         *kiosctl_position_node (const KiosPosition *position);
void              kiosctl_set_string   (JsonObject *object, const char *key, const char *value);
void              kiosctl_set_time     (JsonObject *object, const char *key, gint64 unix_seconds);
char             *kiosctl_read_secret  (const char *prompt, gboolean from_stdin, GError **error);
/* clang-format on */

G_END_DECLS
