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
