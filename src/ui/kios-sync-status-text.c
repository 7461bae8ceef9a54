/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-sync-status-text"

#include "config.h"

#include "kios-sync-status-text.h"

#include "kios-error-messages.h"
#include "kios-redact.h"

#include <glib/gi18n.h>

const char *
kios_sync_status_icon_name (KiosSyncStatusState state)
{
  switch (state)
    {
    case KIOS_SYNC_STATUS_SYNCED:
      return "emblem-ok-symbolic";
    case KIOS_SYNC_STATUS_OFFLINE:
      return "network-offline-symbolic";
    case KIOS_SYNC_STATUS_REFUSED:
      return "dialog-password-symbolic";
    case KIOS_SYNC_STATUS_WRONG_URL:
    case KIOS_SYNC_STATUS_SERVER_ERROR:
      return "dialog-warning-symbolic";
    case KIOS_SYNC_STATUS_PENDING:
    case KIOS_SYNC_STATUS_NEVER:
    case KIOS_SYNC_STATUS_OFF:
    default:
      return "emblem-synchronizing-symbolic";
    }
}

gboolean
kios_sync_status_needs_attention (KiosSyncStatusState state)
{
  return state == KIOS_SYNC_STATUS_REFUSED || state == KIOS_SYNC_STATUS_WRONG_URL ||
         state == KIOS_SYNC_STATUS_SERVER_ERROR;
}

char *
kios_sync_relative_time (gint64 then,
                         gint64 now)
{
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GDateTime) today = NULL;
  gint64                ago = now - then;

  if (then <= 0)
    return g_strdup (_ ("never"));
  if (ago < 60)
    return g_strdup (_ ("just now"));
  if (ago < 3600)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d minute ago", "%d minutes ago", ago / 60),
                            (int) (ago / 60));

  when = g_date_time_new_from_unix_local (then);
  today = g_date_time_new_from_unix_local (now);
  if (when == NULL || today == NULL)
    return g_strdup (_ ("never"));
  if (ago < 6 * 3600 && g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (today))
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d hour ago", "%d hours ago", ago / 3600),
                            (int) (ago / 3600));
  if (g_date_time_get_year (when) == g_date_time_get_year (today) &&
      g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (today))
    {
      g_autofree char *clock = g_date_time_format (when, "%H:%M");

      /* Translators: %s is a time of day, "14:02". */
      return g_strdup_printf (_ ("today at %s"), clock);
    }
  {
    g_autoptr (GDateTime) yesterday = g_date_time_add_days (today, -1);
    g_autofree char      *clock = g_date_time_format (when, "%H:%M");

    if (g_date_time_get_year (when) == g_date_time_get_year (yesterday) &&
        g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (yesterday))
      /* Translators: %s is a time of day, "14:02". */
      return g_strdup_printf (_ ("yesterday at %s"), clock);
  }
  {
    /* Translators: a date and time in the sync history, see strftime(3). */
    g_autofree char *text = g_date_time_format (when, _ ("%-d %b %Y at %H:%M"));

    return g_steal_pointer (&text);
  }
}

char *
kios_sync_error_sentence (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  return kios_error_describe (error, NULL, NULL, NULL);
}

/* The sentence for a failure, from its domain and code only (the core's
 * message is never shown). */
static char *
error_sentence (const KiosSyncStatus *status)
{
  g_autoptr (GError) error = NULL;
  g_autofree char   *host = NULL;

  if (status->error_domain == 0)
    return NULL;
  error = g_error_new_literal (status->error_domain, status->error_code, "");
  return kios_error_describe (error, NULL, NULL, NULL);
}

/* Why a position waits, in words. */
static char *
pending_sentence (const KiosSyncStatus *status,
                  const char           *failure)
{
  switch (status->pending_reason)
    {
    case KIOS_SYNC_PENDING_SENDING:
      return g_strdup (_ ("Sending your position now."));
    case KIOS_SYNC_PENDING_PULL_FIRST:
      return g_strdup (_ ("Kios asks the server for the other device’s position first."));
    case KIOS_SYNC_PENDING_CHOICE:
      return g_strdup (_ ("Waiting for you to choose Continue or Stay here."));
    case KIOS_SYNC_PENDING_OTHER_WINDOW:
      return g_strdup (_ ("Another window is sending to the same account first."));
    case KIOS_SYNC_PENDING_QUEUED:
      return g_strdup (_ ("Your position is next in line to be sent."));
    case KIOS_SYNC_PENDING_HELD:
      return g_strdup (_ ("Held until you press Sync Now or change the account."));
    case KIOS_SYNC_PENDING_RETRY:
      if (failure != NULL)
        /* Translators: %s is a sentence saying why the last try failed. */
        return g_strdup_printf (_ ("Not sent yet. %s Kios tries again when you come back to it."), failure);
      return g_strdup (_ ("Not sent yet. Kios tries again when you come back to it."));
    case KIOS_SYNC_PENDING_BACKGROUND:
    case KIOS_SYNC_PENDING_NONE:
    default:
      if (failure != NULL)
        /* Translators: %s is a sentence saying why the last try failed. */
        return g_strdup_printf (_ ("Your position has not gone out yet. %s"), failure);
      return g_strdup (_ ("Your position goes out when you leave Kios or close the book."));
    }
}

char *
kios_sync_status_title (const KiosSyncStatus *status,
                        gint64                now)
{
  g_return_val_if_fail (status != NULL, NULL);

  switch (status->state)
    {
    case KIOS_SYNC_STATUS_OFF:
      return g_strdup (_ ("Sync is off"));
    case KIOS_SYNC_STATUS_NEVER:
      return g_strdup (_ ("Not synced yet"));
    case KIOS_SYNC_STATUS_SYNCED:
      {
        g_autofree char *when = kios_sync_relative_time (status->synced_at > 0 ? status->synced_at : status->time, now);

        /* Translators: %s is "2 minutes ago", "just now", "yesterday at 14:02". */
        return g_strdup_printf (_ ("Synced %s"), when);
      }
    case KIOS_SYNC_STATUS_PENDING:
      return g_strdup (_ ("Waiting to sync"));
    case KIOS_SYNC_STATUS_OFFLINE:
      return g_strdup (_ ("Offline"));
    case KIOS_SYNC_STATUS_REFUSED:
      return g_strdup (_ ("The server refused the password"));
    case KIOS_SYNC_STATUS_WRONG_URL:
      return g_strdup (_ ("Not a sync server address"));
    case KIOS_SYNC_STATUS_SERVER_ERROR:
    default:
      return g_strdup (_ ("The server had a problem"));
    }
}

char *
kios_sync_status_description (const KiosSyncStatus *status)
{
  g_autofree char *sentence = NULL;

  g_return_val_if_fail (status != NULL, NULL);

  sentence = error_sentence (status);
  switch (status->state)
    {
    case KIOS_SYNC_STATUS_OFF:
      return g_strdup (_ ("Turn it on in Preferences to keep your place on every device."));
    case KIOS_SYNC_STATUS_NEVER:
      return g_strdup (_ ("Your position is sent when you leave Kios or close the book."));
    case KIOS_SYNC_STATUS_SYNCED:
      return NULL;
    case KIOS_SYNC_STATUS_PENDING:
      return pending_sentence (status, sentence);
    case KIOS_SYNC_STATUS_OFFLINE:
      if (sentence != NULL)
        /* Translators: %s is a sentence saying why the server could not be reached. */
        return g_strdup_printf (_ ("%s Kios tries again when you come back to it."), sentence);
      return g_strdup (_ ("The server could not be reached. Kios tries again when you come back to it."));
    case KIOS_SYNC_STATUS_REFUSED:
    case KIOS_SYNC_STATUS_WRONG_URL:
    case KIOS_SYNC_STATUS_SERVER_ERROR:
    default:
      if (sentence != NULL)
        return g_steal_pointer (&sentence);
      if (status->state == KIOS_SYNC_STATUS_REFUSED)
        return g_strdup (_ ("Check the username and password in Preferences."));
      if (status->state == KIOS_SYNC_STATUS_WRONG_URL)
        return g_strdup (_ ("Check the server address in Preferences."));
      return g_strdup (_ ("Try again later."));
    }
}

const char *
kios_sync_protocol_label (const char *protocol)
{
  if (g_strcmp0 (protocol, "kosync") == 0)
    return _ ("KOReader Sync");
  if (g_strcmp0 (protocol, "kobo") == 0)
    return _ ("Kobo Sync");
  if (g_strcmp0 (protocol, "readium") == 0)
    return _ ("Readium Progression");
  return protocol != NULL ? protocol : _ ("Sync");
}

const char *
kios_sync_precision_label (const char *precision)
{
  if (g_strcmp0 (precision, "exact") == 0)
    return _ ("exact position");
  if (g_strcmp0 (precision, "page") == 0)
    return _ ("page");
  if (g_strcmp0 (precision, "chapter") == 0)
    return _ ("chapter and percent");
  if (g_strcmp0 (precision, "percent") == 0)
    return _ ("percent only");
  return NULL;
}

const char *
kios_sync_direction_label (const char *direction)
{
  if (g_strcmp0 (direction, "push") == 0)
    return _ ("Sent");
  if (g_strcmp0 (direction, "pull") == 0)
    return _ ("Received");
  return direction != NULL ? direction : "";
}

const char *
kios_sync_result_label (const char *result)
{
  KiosSyncStatusState state;

  if (!kios_sync_status_state_from_string (result, &state))
    return result != NULL ? result : "";
  switch (state)
    {
    case KIOS_SYNC_STATUS_SYNCED:
      return _ ("accepted");
    case KIOS_SYNC_STATUS_NEVER:
      return _ ("nothing on the server");
    case KIOS_SYNC_STATUS_PENDING:
      return _ ("waiting");
    case KIOS_SYNC_STATUS_OFFLINE:
      return _ ("server unreachable");
    case KIOS_SYNC_STATUS_REFUSED:
      return _ ("password refused");
    case KIOS_SYNC_STATUS_WRONG_URL:
      return _ ("wrong address");
    case KIOS_SYNC_STATUS_SERVER_ERROR:
      return _ ("server error");
    case KIOS_SYNC_STATUS_OFF:
    default:
      return _ ("off");
    }
}

char *
kios_sync_remote_label (const KiosPosition *position)
{
  int percent;

  if (position == NULL)
    return NULL;
  percent = (int) (CLAMP (position->total_progress, 0.0, 1.0) * 100.0 + 0.5);
  if (position->chapter_title != NULL && *position->chapter_title != '\0')
    /* Translators: the other device's place, "‘Chapter 9’ · 42 %". */
    return g_strdup_printf (_ ("‘%s’ · %d %%"), position->chapter_title, percent);
  /* Translators: the other device's place when the chapter has no title. */
  return g_strdup_printf (_ ("%d %% of the book"), percent);
}

char *
kios_sync_remote_label_from_json (const char *json)
{
  g_autoptr (JsonParser)   parser = NULL;
  g_autoptr (KiosPosition) position = NULL;

  if (json == NULL || *json == '\0')
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  position = kios_position_from_json (json_parser_get_root (parser), NULL);
  return kios_sync_remote_label (position);
}

/* ---- the report ---------------------------------------------------------- */

static void
append_line (GString    *report,
             const char *label,
             const char *value)
{
  g_autofree char *safe = NULL;

  if (value == NULL || *value == '\0')
    return;
  safe = kios_redact_text (value);
  g_string_append_printf (report, "  %s: %s\n", label, safe);
}

static void
append_time (GString    *report,
             const char *label,
             gint64      time)
{
  g_autoptr (GDateTime) when = NULL;
  g_autofree char      *text = NULL;

  if (time <= 0)
    {
      append_line (report, label, "never");
      return;
    }
  when = g_date_time_new_from_unix_utc (time);
  text = g_date_time_format_iso8601 (when);
  append_line (report, label, text);
}

char *
kios_sync_report_build (const char *book_title,
                        const char *book_hash,
                        GPtrArray  *statuses,
                        GPtrArray  *log,
                        gint64      now)
{
  g_autoptr (GString)   report = g_string_new (NULL);
  g_autoptr (GDateTime) made = g_date_time_new_from_unix_utc (now);
  g_autofree char      *made_text = g_date_time_format_iso8601 (made);
  g_autofree char      *title = kios_redact_text (book_title != NULL ? book_title : "");

  /* The report is for a bug tracker or a forum: plain, untranslated, and
   * every value from the store redacted once more on the way out. */
  g_string_append_printf (report, "Kios sync report\n");
  g_string_append_printf (report, "Kios %s (%s), made %s\n", PACKAGE_VERSION, PROFILE, made_text);
  g_string_append_printf (report, "Book: %s\n", title);
  g_string_append_printf (report, "Hash: %s\n", book_hash != NULL ? book_hash : "unknown");

  g_string_append (report, "\nSources\n");
  if (statuses == NULL || statuses->len == 0)
    g_string_append (report, "  (no sync source serves this book)\n");
  for (guint i = 0; statuses != NULL && i < statuses->len; i++)
    {
      const KiosSyncStatus *status = statuses->pdata[i];
      g_autofree char      *source = kios_redact_text (status->source);
      g_autofree char      *server = kios_redact_url (status->server);

      g_string_append_printf (report, "- %s (%s)\n", source != NULL ? source : "?",
                              status->protocol != NULL ? status->protocol : "?");
      append_line (report, "state", kios_sync_status_state_to_string (status->state));
      append_line (report, "server", server);
      append_time (report, "since", status->time);
      append_time (report, "last confirmed", status->synced_at);
      append_line (report, "detail", status->detail);
      if (status->error_domain != 0)
        {
          g_autofree char *code = g_strdup_printf ("%s %d", g_quark_to_string (status->error_domain),
                                                   status->error_code);

          append_line (report, "error", code);
        }
    }

  g_string_append (report, "\nHistory (newest first)\n");
  if (log == NULL || log->len == 0)
    g_string_append (report, "  (nothing yet)\n");
  for (guint i = 0; log != NULL && i < log->len; i++)
    {
      const KiosSyncLogEntry *entry = log->pdata[i];
      g_autoptr (GDateTime)   when = g_date_time_new_from_unix_utc (MAX (entry->time, 0));
      g_autofree char        *when_text = g_date_time_format_iso8601 (when);
      g_autofree char        *line = g_strdup_printf ("%s %s %s via %s (%s): %s%s%s%s%s", when_text,
                                               entry->direction != NULL ? entry->direction : "?",
                                               entry->result != NULL ? entry->result : "?",
                                               entry->source != NULL ? entry->source : "?",
                                               entry->protocol != NULL ? entry->protocol : "?",
                                               entry->precision != NULL ? "precision " : "",
                                               entry->precision != NULL ? entry->precision : "",
                                               entry->detail != NULL && entry->precision != NULL ? "; " : "",
                                               entry->detail != NULL ? entry->detail : "",
                                               entry->remote != NULL ? "" : "");
      g_autofree char        *safe = kios_redact_text (line);

      g_string_append_printf (report, "- %s\n", safe);
      if (entry->remote != NULL)
        {
          g_autofree char *remote = kios_redact_text (entry->remote);

          g_string_append_printf (report, "    remote: %s\n", remote);
        }
    }

  return g_string_free (g_steal_pointer (&report), FALSE);
}
