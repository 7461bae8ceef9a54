/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-decision"

#include "config.h"

#include "kios-sync-decision.h"

#include "kios-error.h"

#include <string.h>

const char *
kios_sync_decision_to_string (KiosSyncDecision decision)
{
  switch (decision)
    {
    case KIOS_SYNC_DECISION_PROMPT:
      return "prompt";
    case KIOS_SYNC_DECISION_APPLY_SILENTLY:
      return "apply-silently";
    case KIOS_SYNC_DECISION_IGNORE_BEHIND:
      return "ignore-behind";
    case KIOS_SYNC_DECISION_NONE:
    default:
      return "none";
    }
}

static KiosSyncDecision
decide (KiosSyncDecision decision,
        char           **reason,
        const char      *format,
        ...) G_GNUC_PRINTF (3, 4);

static KiosSyncDecision
decide (KiosSyncDecision decision,
        char           **reason,
        const char      *format,
        ...)
{
  va_list args;

  if (reason != NULL)
    {
      va_start (args, format);
      *reason = g_strdup_vprintf (format, args);
      va_end (args);
    }
  return decision;
}

KiosSyncDecision
kios_sync_decide (const KiosSyncDecisionInput *input,
                  char                       **reason)
{
  static const KiosPosition start = { 0 };
  const KiosPosition       *local;
  const KiosPosition       *remote;
  gint64                    page_chars;

  g_return_val_if_fail (input != NULL, KIOS_SYNC_DECISION_NONE);

  if (reason != NULL)
    *reason = NULL;

  remote = input->remote;
  if (remote == NULL)
    return decide (KIOS_SYNC_DECISION_NONE, reason, "the server has no position for this book");

  if (input->own_device_id != NULL && input->remote_device_id != NULL && g_ascii_strcasecmp (input->own_device_id, input->remote_device_id) == 0)
    return decide (KIOS_SYNC_DECISION_NONE, reason, "the server's position came from this device");

  /* Once the reader has moved, a late answer must not pull the page away. */
  if (input->page_turned)
    return decide (KIOS_SYNC_DECISION_NONE, reason,
                   "a page was turned before the answer arrived; the remote position stays "
                   "reachable from the sync menu");

  local = input->local != NULL ? input->local : &start;

  if (remote->format == KIOS_BOOK_FORMAT_PDF || local->format == KIOS_BOOK_FORMAT_PDF)
    {
      /* A PDF page is a screen page: one page ahead is "slightly". */
      int delta = remote->chapter - local->chapter;

      if (delta > 1)
        return decide (KIOS_SYNC_DECISION_PROMPT, reason, "the other device is %d pages further on", delta);
      if (delta == 1)
        return decide (KIOS_SYNC_DECISION_APPLY_SILENTLY, reason, "the other device is one page further on");
      if (delta == 0)
        return decide (KIOS_SYNC_DECISION_NONE, reason, "both devices are on the same page");
      return decide (KIOS_SYNC_DECISION_IGNORE_BEHIND, reason, "the other device is %d pages behind", -delta);
    }

  if (remote->chapter > local->chapter)
    return decide (KIOS_SYNC_DECISION_PROMPT, reason, "the other device is in a later chapter (%d > %d)",
                   remote->chapter + 1, local->chapter + 1);
  if (remote->chapter < local->chapter)
    return decide (KIOS_SYNC_DECISION_IGNORE_BEHIND, reason,
                   "the other device is in an earlier chapter (%d < %d)",
                   remote->chapter + 1, local->chapter + 1);

  /* Same chapter: by screen pages when the layout is known. */
  if (input->local_page >= 0 && input->remote_page >= 0)
    {
      int delta = input->remote_page - input->local_page;

      if (delta > 1)
        return decide (KIOS_SYNC_DECISION_PROMPT, reason,
                       "the other device is %d pages further in this chapter", delta);
      if (delta == 1)
        return decide (KIOS_SYNC_DECISION_APPLY_SILENTLY, reason,
                       "the other device is one page further in this chapter");
      if (delta < 0)
        return decide (KIOS_SYNC_DECISION_IGNORE_BEHIND, reason,
                       "the other device is %d pages back in this chapter", -delta);
      if (remote->offset < local->offset)
        return decide (KIOS_SYNC_DECISION_IGNORE_BEHIND, reason,
                       "the other device is a little behind on this page");
      return decide (KIOS_SYNC_DECISION_NONE, reason, "both devices show the same page");
    }

  page_chars = input->screen_page_chars > 0 ? input->screen_page_chars : KIOS_SYNC_DEFAULT_PAGE_CHARS;
  {
    gint64 delta = remote->offset - local->offset;

    if (delta > page_chars)
      return decide (KIOS_SYNC_DECISION_PROMPT, reason,
                     "the other device is %" G_GINT64_FORMAT " characters (more than a page) further",
                     delta);
    if (delta > 0)
      return decide (KIOS_SYNC_DECISION_APPLY_SILENTLY, reason,
                     "the other device is %" G_GINT64_FORMAT " characters further, within a page", delta);
    if (delta == 0)
      return decide (KIOS_SYNC_DECISION_NONE, reason, "both devices are at the same position");
    return decide (KIOS_SYNC_DECISION_IGNORE_BEHIND, reason,
                   "the other device is %" G_GINT64_FORMAT " characters behind", -delta);
  }
}

char *
kios_sync_normalize_xpointer (const char *progress)
{
  g_autoptr (GString) out = NULL;

  if (progress == NULL || *progress == '\0')
    return NULL;

  /* "#_doc_fragment_<i>_…": crengine's ids carry the 0-based fragment. */
  if (g_str_has_prefix (progress, "#_doc_fragment"))
    {
      const char *p = progress + strlen ("#_doc_fragment");
      gint64      index;

      while (*p == '_')
        p++;
      if (!g_ascii_isdigit (*p))
        return NULL;
      index = g_ascii_strtoll (p, NULL, 10);
      if (index < 0 || index > 100000)
        return NULL;
      return g_strdup_printf ("/body/DocFragment[%" G_GINT64_FORMAT "].0", index + 1);
    }

  if (!g_str_has_prefix (progress, "/body"))
    return NULL;

  out = g_string_new (progress);
  /* The DOM-20260812 form: "/body[1]/DocFragment[N]/body[1]/…". */
  if (g_str_has_prefix (out->str, "/body[1]/"))
    g_string_erase (out, 5, 3);
  /* A one-item spine: "/body/DocFragment/body/…". */
  if (g_str_has_prefix (out->str, "/body/DocFragment/") || g_str_equal (out->str, "/body/DocFragment") || g_str_has_prefix (out->str, "/body/DocFragment."))
    g_string_insert (out, strlen ("/body/DocFragment"), "[1]");
  if (!g_str_has_prefix (out->str, "/body/DocFragment["))
    return NULL;
  {
    /* "…DocFragment[N]/body[1]/…" → "…/body/…" for the inner body too. */
    char *inner = strstr (out->str, "]/body[1]");
    if (inner != NULL && inner == strchr (out->str, ']'))
      g_string_erase (out, inner - out->str + 6, 3);
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
fragment_index (const char *xpointer,
                int        *index)
{
  const char *p = strstr (xpointer, "DocFragment[");

  if (p == NULL || !g_ascii_isdigit (p[12]))
    return FALSE;
  *index = (int) g_ascii_strtoll (p + 12, NULL, 10);
  return *index >= 1;
}

static gboolean
is_chapter_start (const char *xpointer)
{
  const char *close = strchr (xpointer, ']');

  return close != NULL && g_str_equal (close, "].0");
}

static KiosPosition *
parse (KiosDocument *document,
       const char   *text)
{
  g_autoptr (GError) error = NULL;
  KiosPosition      *position = kios_document_parse_position (document, text, &error);

  if (position == NULL)
    g_debug ("cannot resolve a remote position here: %s", error->message);
  return position;
}

KiosPosition *
kios_sync_resolve_remote (KiosDocument             *document,
                          const KiosRemotePosition *remote,
                          GError                  **error)
{
  g_autoptr (KiosPosition) exact = NULL;
  g_autoptr (KiosPosition) by_percent = NULL;
  g_autofree char         *percent = NULL;
  g_autofree char         *xpointer = NULL;
  char                     buf[G_ASCII_DTOSTR_BUF_SIZE];
  int                      fragment = 0;
  KiosPosition            *result = NULL;

  g_return_val_if_fail (KIOS_IS_DOCUMENT (document), NULL);
  g_return_val_if_fail (remote != NULL, NULL);

  percent = g_strconcat ("percent:", g_ascii_dtostr (buf, sizeof buf, CLAMP (remote->percentage, 0.0, 1.0) * 100), NULL);

  if (kios_document_get_format (document) == KIOS_BOOK_FORMAT_PDF)
    {
      if (remote->progress != NULL && g_ascii_isdigit (remote->progress[0]))
        {
          g_autofree char *page = g_strconcat ("page:", remote->progress, NULL);
          exact = parse (document, page);
        }
      result = exact != NULL ? g_steal_pointer (&exact) : parse (document, percent);
    }
  else
    {
      xpointer = kios_sync_normalize_xpointer (remote->progress);
      if (xpointer != NULL)
        exact = parse (document, xpointer);

      if (xpointer != NULL && fragment_index (xpointer, &fragment) && (exact == NULL || is_chapter_start (xpointer)))
        {
          /* A coarse or unresolvable xpointer still names its chapter: the
           * percentage refines it when it lands in that same chapter. */
          by_percent = parse (document, percent);
          if (by_percent != NULL && by_percent->chapter == fragment - 1 && remote->percentage > 0)
            result = g_steal_pointer (&by_percent);
          else if (exact != NULL)
            result = g_steal_pointer (&exact);
          else
            {
              g_autofree char *start = g_strdup_printf ("chapter:%d:0", fragment - 1);
              result = parse (document, start);
            }
        }
      else if (exact != NULL)
        result = g_steal_pointer (&exact);
      else
        result = parse (document, percent);
    }

  if (result == NULL)
    {
      g_set_error (error, KIOS_DOCUMENT_ERROR, KIOS_DOCUMENT_ERROR_INVALID,
                   "The other device's position does not resolve in this book");
      return NULL;
    }
  result->updated_at = remote->timestamp;
  g_free (result->device);
  result->device = g_strdup (remote->device);
  g_free (result->device_id);
  result->device_id = g_strdup (remote->device_id);
  return result;
}
