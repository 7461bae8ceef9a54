/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-normalize"

#include "config.h"

#include "kios-sync-remote.h"

#include "kios-kobo-backend.h"
#include "kios-limits.h"

#include <string.h>

const char *
kios_sync_protocol_to_string (KiosSyncProtocol protocol)
{
  switch (protocol)
    {
    case KIOS_SYNC_PROTOCOL_KOBO:
      return "kobo";
    case KIOS_SYNC_PROTOCOL_READIUM:
      return "readium";
    case KIOS_SYNC_PROTOCOL_KOSYNC:
    default:
      return "kosync";
    }
}

KiosSyncRemote *
kios_sync_remote_new_kosync (KiosRemotePosition *remote)
{
  KiosSyncRemote *self = g_new0 (KiosSyncRemote, 1);

  g_return_val_if_fail (remote != NULL, NULL);

  self->protocol = KIOS_SYNC_PROTOCOL_KOSYNC;
  self->kosync = remote;
  return self;
}

KiosSyncRemote *
kios_sync_remote_new_kobo (KiosKoboReadingState *state)
{
  KiosSyncRemote *self = g_new0 (KiosSyncRemote, 1);

  g_return_val_if_fail (state != NULL, NULL);

  self->protocol = KIOS_SYNC_PROTOCOL_KOBO;
  self->kobo = state;
  return self;
}

KiosSyncRemote *
kios_sync_remote_new_readium (KiosReadiumProgression *progression)
{
  KiosSyncRemote *self = g_new0 (KiosSyncRemote, 1);

  g_return_val_if_fail (progression != NULL, NULL);

  self->protocol = KIOS_SYNC_PROTOCOL_READIUM;
  self->readium = progression;
  return self;
}

KiosSyncRemote *
kios_sync_remote_copy (const KiosSyncRemote *self)
{
  KiosSyncRemote *copy;

  if (self == NULL)
    return NULL;
  copy = g_new0 (KiosSyncRemote, 1);
  copy->protocol = self->protocol;
  copy->kosync = self->kosync != NULL ? kios_remote_position_copy (self->kosync) : NULL;
  copy->kobo = self->kobo != NULL ? kios_kobo_reading_state_copy (self->kobo) : NULL;
  copy->readium = self->readium != NULL ? kios_readium_progression_copy (self->readium) : NULL;
  return copy;
}

void
kios_sync_remote_free (KiosSyncRemote *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->kosync, kios_remote_position_free);
  g_clear_pointer (&self->kobo, kios_kobo_reading_state_free);
  g_clear_pointer (&self->readium, kios_readium_progression_free);
  g_free (self);
}

int
kios_sync_normalize_page (const char *progress)
{
  char  *end = NULL;
  gint64 page;

  if (progress == NULL || !g_ascii_isdigit (progress[0]) || strlen (progress) > KIOS_LIMIT_SYNC_PAGE_DIGITS)
    return -1;
  page = g_ascii_strtoll (progress, &end, 10);
  /* Only a whole page number in range of an int counts. */
  if (end == progress || *end != '\0' || page < 1 || page > G_MAXINT)
    return -1;
  return (int) page - 1;
}

/* "#_doc_fragment_<i>_…" (crengine's ids, 0-based) or Kavita's
 * "#_doc_fragment<i>": the start of spine item i. */
static char *
from_fragment_id (const char *progress)
{
  const char *p = progress + strlen ("#_doc_fragment");
  gint64      index;

  while (*p == '_')
    p++;
  if (!g_ascii_isdigit (*p))
    return NULL;
  index = g_ascii_strtoll (p, NULL, 10);
  if (index < 0 || index >= KIOS_LIMIT_SYNC_FRAGMENTS)
    return NULL;
  return g_strdup_printf ("/body/DocFragment[%" G_GINT64_FORMAT "].0", index + 1);
}

char *
kios_sync_normalize_xpointer (const char *progress)
{
  g_autoptr (GString) out = NULL;

  if (progress == NULL || *progress == '\0' || strlen (progress) > KIOS_LIMIT_SYNC_PROGRESS_BYTES)
    return NULL;
  if (!g_utf8_validate (progress, -1, NULL))
    return NULL;

  if (g_str_has_prefix (progress, "#_doc_fragment"))
    return from_fragment_id (progress);
  if (!g_str_has_prefix (progress, "/body"))
    return NULL;

  out = g_string_new (progress);
  /* The DOM-20260812 form: "/body[1]/DocFragment[N]/body[1]/…"; the
   * steps after it keep their "[1]" (the document layer parses them). */
  if (g_str_has_prefix (out->str, "/body[1]/"))
    g_string_erase (out, 5, 3);
  /* A one-item spine: "/body/DocFragment/body/…". */
  if (g_str_has_prefix (out->str, "/body/DocFragment/") || g_str_equal (out->str, "/body/DocFragment") || g_str_has_prefix (out->str, "/body/DocFragment."))
    g_string_insert (out, strlen ("/body/DocFragment"), "[1]");
  if (!g_str_has_prefix (out->str, "/body/DocFragment[") || !g_ascii_isdigit (out->str[strlen ("/body/DocFragment[")]))
    return NULL;
  {
    gint64 index = g_ascii_strtoll (out->str + strlen ("/body/DocFragment["), NULL, 10);
    char  *inner = strstr (out->str, "]/body[1]");

    if (index < 1 || index > KIOS_LIMIT_SYNC_FRAGMENTS)
      return NULL;
    /* "…DocFragment[N]/body[1]/…" → "…/body/…" for the inner body too. */
    if (inner != NULL && inner == strchr (out->str, ']'))
      g_string_erase (out, inner - out->str + 6, 3);
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Servers send 0..1; a value in 1..100 is a percent (CWA's own reading of it). */
static double
fraction (double value)
{
  if (value != value || value < 0)
    return 0;
  if (value > 1.0 && value <= 100.0)
    return value / 100.0;
  return MIN (value, 1.0);
}

static KiosPosition *
from_kosync (const KiosRemotePosition *remote,
             KiosBookFormat            format)
{
  KiosPosition *position = kios_position_new ();

  position->format = format;
  position->chapter = -1;
  position->total_progress = fraction (remote->percentage);
  position->updated_at = remote->timestamp;
  position->device = g_strdup (remote->device);
  position->device_id = g_strdup (remote->device_id);
  if (format == KIOS_BOOK_FORMAT_PDF)
    position->chapter = kios_sync_normalize_page (remote->progress);
  else
    position->xpointer = kios_sync_normalize_xpointer (remote->progress);
  return position;
}

KiosPosition *
kios_sync_normalize_remote (const KiosSyncRemote *remote,
                            KiosBookFormat        format)
{
  KiosPosition *position = NULL;

  g_return_val_if_fail (remote != NULL, NULL);

  switch (remote->protocol)
    {
    case KIOS_SYNC_PROTOCOL_KOBO:
      g_return_val_if_fail (remote->kobo != NULL, NULL);
      position = kios_kobo_state_to_position (remote->kobo);
      position->format = format;
      break;

    case KIOS_SYNC_PROTOCOL_READIUM:
      g_return_val_if_fail (remote->readium != NULL, NULL);
      position = kios_readium_progression_to_position (remote->readium, format);
      break;

    case KIOS_SYNC_PROTOCOL_KOSYNC:
    default:
      g_return_val_if_fail (remote->kosync != NULL, NULL);
      position = from_kosync (remote->kosync, format);
      break;
    }
  position->total_progress = fraction (position->total_progress);
  position->chapter_progress = position->chapter_progress >= 0 ? MIN (position->chapter_progress, 1.0) : 0.0;
  if (position->chapter_href != NULL && (strlen (position->chapter_href) > KIOS_LIMIT_SYNC_PROGRESS_BYTES || !g_utf8_validate (position->chapter_href, -1, NULL)))
    g_clear_pointer (&position->chapter_href, g_free);
  return position;
}
