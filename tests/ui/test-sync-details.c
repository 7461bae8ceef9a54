/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "test-sync-details"

#include "config.h"

#include "kios-redact.h"
#include "kios-sync-details-dialog.h"
#include "kios-sync-error.h"
#include "kios-sync-service.h"
#include "kios-sync-status-text.h"
#include "kios-ui-test-utils.h"

#include <string.h>

/*
 * Sync Details for a book: the words for every state, the redacted report,
 * and the dialog over a real library file whose status and log the sync
 * service reads, with "Copy Report" read back from the clipboard.
 */

#define HASH "0123456789abcdef0123456789abcdef"
#define TITLE "Pride and Prejudice"
#define SECRET "Tr0ub4dor-and-3"
#define USER_SECRET "alice-api-key-77"

static KiosSyncStatus *
make_status (KiosSyncStatusState state,
             gint64              time)
{
  KiosSyncStatus *status = kios_sync_status_new ("kosync", "KOReader sync", HASH);

  status->state = state;
  status->time = time;
  status->server = g_strdup ("https://books.example.org/kosync");
  return status;
}

/* Every state has its own title; only SYNCED says "Synced", with its time. */
static void
test_titles (void)
{
  gint64 now = 1800000000;

  for (KiosSyncStatusState state = KIOS_SYNC_STATUS_OFF; state <= KIOS_SYNC_STATUS_SERVER_ERROR; state++)
    {
      g_autoptr (KiosSyncStatus) status = make_status (state, now - 120);
      g_autofree char           *title = NULL;
      g_autofree char           *description = NULL;

      status->synced_at = state == KIOS_SYNC_STATUS_SYNCED ? now - 120 : 0;
      title = kios_sync_status_title (status, now);
      description = kios_sync_status_description (status);
      g_test_message ("%s: %s — %s", kios_sync_status_state_to_string (state), title,
                      description != NULL ? description : "");
      g_assert_nonnull (title);
      if (state == KIOS_SYNC_STATUS_SYNCED)
        g_assert_cmpstr (title, ==, "Synced 2 minutes ago");
      else
        g_assert_false (g_str_has_prefix (title, "Synced"));
      g_assert_nonnull (kios_sync_status_icon_name (state));
    }

  {
    g_autoptr (KiosSyncStatus) never = make_status (KIOS_SYNC_STATUS_NEVER, 0);
    g_autoptr (KiosSyncStatus) refused = make_status (KIOS_SYNC_STATUS_REFUSED, now);
    g_autofree char           *never_title = kios_sync_status_title (never, now);
    g_autofree char           *refused_title = kios_sync_status_title (refused, now);

    g_assert_cmpstr (never_title, ==, "Not synced yet");
    g_assert_cmpstr (refused_title, ==, "The server refused the password");
    g_assert_cmpstr (kios_sync_status_icon_name (KIOS_SYNC_STATUS_SYNCED), ==, "emblem-ok-symbolic");
    g_assert_cmpstr (kios_sync_status_icon_name (KIOS_SYNC_STATUS_NEVER), !=, "emblem-ok-symbolic");
    g_assert_true (kios_sync_status_needs_attention (KIOS_SYNC_STATUS_REFUSED));
    g_assert_false (kios_sync_status_needs_attention (KIOS_SYNC_STATUS_OFFLINE));
  }

  /* A pending position says why it waits. */
  {
    g_autoptr (KiosSyncStatus) pending = make_status (KIOS_SYNC_STATUS_PENDING, now);
    g_autofree char           *background = NULL;
    g_autofree char           *choice = NULL;

    pending->pending_reason = KIOS_SYNC_PENDING_BACKGROUND;
    background = kios_sync_status_description (pending);
    pending->pending_reason = KIOS_SYNC_PENDING_CHOICE;
    choice = kios_sync_status_description (pending);
    g_assert_cmpstr (background, !=, choice);
    g_assert_nonnull (strstr (choice, "Continue or Stay here"));
  }

  /* A failure's words come from its domain and code, never its message. */
  {
    g_autoptr (KiosSyncStatus) offline = make_status (KIOS_SYNC_STATUS_OFFLINE, now);
    g_autofree char           *description = NULL;

    offline->error_domain = KIOS_HTTP_ERROR;
    offline->error_code = KIOS_HTTP_ERROR_NETWORK;
    offline->detail = g_strdup ("GET http://127.0.0.1:1/: Failed to connect to 127.0.0.1 port 1: Couldn't connect");
    description = kios_sync_status_description (offline);
    g_test_message ("offline: %s", description);
    g_assert_null (strstr (description, "Couldn't"));
    g_assert_null (strstr (description, "127.0.0.1"));
  }
}

static void
test_words (void)
{
  gint64           now = 1800000000;
  g_autofree char *just = kios_sync_relative_time (now - 5, now);
  g_autofree char *minutes = kios_sync_relative_time (now - 600, now);
  g_autofree char *never = kios_sync_relative_time (0, now);

  g_assert_cmpstr (just, ==, "just now");
  g_assert_cmpstr (minutes, ==, "10 minutes ago");
  g_assert_cmpstr (never, ==, "never");

  g_assert_cmpstr (kios_sync_precision_label ("exact"), ==, "exact position");
  g_assert_cmpstr (kios_sync_precision_label ("page"), ==, "page");
  g_assert_cmpstr (kios_sync_precision_label ("chapter"), ==, "chapter and percent");
  g_assert_cmpstr (kios_sync_precision_label ("percent"), ==, "percent only");
  g_assert_null (kios_sync_precision_label ("nonsense"));
  g_assert_cmpstr (kios_sync_direction_label ("push"), ==, "Sent");
  g_assert_cmpstr (kios_sync_direction_label ("pull"), ==, "Received");
  g_assert_cmpstr (kios_sync_protocol_label ("kobo"), ==, "Kobo Sync");

  {
    g_autofree char *remote = kios_sync_remote_label_from_json (
        "{\"format\":\"epub\",\"chapter\":9,\"chapter_title\":\"Chapter 9\",\"total_progress\":0.42}");
    g_autofree char *garbage = kios_sync_remote_label_from_json ("{not json");

    g_test_message ("remote: %s", remote != NULL ? remote : "(null)");
    g_assert_nonnull (remote);
    g_assert_nonnull (strstr (remote, "Chapter 9"));
    g_assert_nonnull (strstr (remote, "42"));
    g_assert_null (garbage);
  }
}

static KiosSyncLogEntry *
make_entry (gint64      time,
            const char *direction,
            const char *result,
            const char *detail)
{
  KiosSyncLogEntry *entry = g_new0 (KiosSyncLogEntry, 1);

  entry->time = time;
  entry->protocol = g_strdup ("kosync");
  entry->source = g_strdup ("KOReader sync");
  entry->book_hash = g_strdup (HASH);
  entry->direction = g_strdup (direction);
  entry->result = g_strdup (result);
  entry->detail = g_strdup (detail);
  entry->precision = g_strdup ("exact");
  return entry;
}

static void
assert_no_secret (const char *text)
{
  g_assert_null (strstr (text, SECRET));
  g_assert_null (strstr (text, USER_SECRET));
  g_assert_null (strstr (text, "alice:"));
}

/* The report names the book, the version, each source and the log, and
 * carries no password, token or URL userinfo even when the store had one. */
static void
test_report_redacted (void)
{
  g_autoptr (GPtrArray) statuses = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_sync_status_free);
  g_autoptr (GPtrArray) log = g_ptr_array_new_with_free_func ((GDestroyNotify) kios_sync_log_entry_free);
  g_autofree char      *report = NULL;
  KiosSyncStatus       *status;

  kios_redact_register_secret (SECRET);
  kios_redact_register_secret (USER_SECRET);
  status = make_status (KIOS_SYNC_STATUS_REFUSED, 1800000000);
  g_free (status->server);
  status->server = g_strdup ("https://alice:" SECRET "@books.example.org/api/koreader/" USER_SECRET);
  status->detail = g_strdup ("401 for user alice with password " SECRET);
  status->error_domain = KIOS_SYNC_ERROR;
  status->error_code = KIOS_SYNC_ERROR_AUTH;
  g_ptr_array_add (statuses, status);
  g_ptr_array_add (log, make_entry (1800000000, "push", "refused", "Authorization: Basic " SECRET));
  g_ptr_array_add (log, make_entry (1799999000, "pull", "synced", "https://x:" SECRET "@h/"));

  report = kios_sync_report_build (TITLE, HASH, statuses, log, 1800000100);
  g_test_message ("%s", report);
  g_assert_nonnull (strstr (report, TITLE));
  g_assert_nonnull (strstr (report, HASH));
  g_assert_nonnull (strstr (report, "Kios " PACKAGE_VERSION));
  g_assert_nonnull (strstr (report, "refused"));
  g_assert_nonnull (strstr (report, "push"));
  g_assert_nonnull (strstr (report, "pull"));
  g_assert_nonnull (strstr (report, "books.example.org"));
  assert_no_secret (report);
}

/* ---- the dialog over a real library -------------------------------------- */

typedef struct
{
  char    *text;
  gboolean done;
} ClipboardRead;

static void
clipboard_read_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ClipboardRead *read = user_data;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  read->done = TRUE;
}

static gboolean
dialog_loaded (gpointer data)
{
  return !kios_sync_details_dialog_is_loading (KIOS_SYNC_DETAILS_DIALOG (data));
}

static guint
n_rows (GtkListBox *list)
{
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;
  return n;
}

static void
test_dialog (void)
{
  g_autoptr (KiosLibraryStore) store = kios_test_new_store ();
  g_autoptr (KiosSyncService)  service = NULL;
  g_autoptr (KiosSyncStatus)   status = NULL;
  g_autofree char             *shot = NULL;
  g_autofree char             *first_title = NULL;
  KiosSyncDetailsDialog       *dialog;
  GtkListBox                  *history;
  GtkWidget                   *row;
  ClipboardRead                read = { 0 };
  gint64                       now = g_get_real_time () / G_USEC_PER_SEC;

  kios_redact_register_secret (SECRET);

  /* The KOReader sync account (its password would be in the keyring). */
  {
    KiosSourceRecord   record = { 0 };
    g_autoptr (GError) error = NULL;

    record.name = "KOReader sync";
    record.kind = "kosync";
    record.url = "https://books.example.org/kosync";
    record.auth = "headers";
    record.username = "alice";
    g_assert_true (kios_library_store_add_source (store, &record, &error));
    g_assert_no_error (error);
  }

  /* What the engine would have stored: a push the server took, then a pull
   * and a failed push; the status of the last exchange. */
  {
    g_autoptr (KiosSyncLogEntry) pushed = make_entry (now - 3600, "push", "synced", NULL);
    g_autoptr (KiosSyncLogEntry) pulled = make_entry (now - 1800, "pull", "synced", NULL);
    g_autoptr (KiosSyncLogEntry) failed = make_entry (now - 120, "push", "offline", "password " SECRET);

    g_free (pulled->remote);
    pulled->remote = g_strdup ("{\"format\":\"epub\",\"chapter\":9,\"chapter_title\":\"Chapter 9\","
                               "\"total_progress\":0.42,\"device\":\"KOReader\"}");
    kios_library_store_add_sync_log (store, pushed);
    kios_library_store_add_sync_log (store, pulled);
    kios_library_store_add_sync_log (store, failed);
  }
  status = make_status (KIOS_SYNC_STATUS_OFFLINE, now - 120);
  status->synced_at = now - 1800;
  status->error_domain = KIOS_HTTP_ERROR;
  status->error_code = KIOS_HTTP_ERROR_NETWORK;
  status->detail = g_strdup ("Failed to connect with " SECRET);
  kios_library_store_set_sync_status (store, status);
  g_assert_true (kios_library_store_flush (store, 5000));

  service = kios_sync_service_new (store);
  dialog = kios_sync_details_dialog_new (NULL, service, HASH, TITLE);
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (kios_test_wait_until (kios_test_widget_mapped, dialog, 5000));
  g_assert_true (kios_test_wait_until (dialog_loaded, dialog, 10000));

  /* The history: three rows, newest first. */
  history = GTK_LIST_BOX (kios_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_LIST_BOX, "history-list"));
  g_assert_nonnull (history);
  g_assert_cmpuint (n_rows (history), ==, 3);
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (history, 0));
  first_title = g_strdup (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
  g_test_message ("newest: %s — %s", first_title, adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
  g_assert_true (g_str_has_prefix (first_title, "Sent"));
  g_assert_nonnull (strstr (first_title, "server unreachable"));
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (history, 1));
  g_assert_true (g_str_has_prefix (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), "Received"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Chapter 9"));

  /* The source: its state in words, its precision. */
  {
    GtkWidget *state_row = kios_test_find_widget (GTK_WIDGET (dialog), ADW_TYPE_ACTION_ROW, "state-row");
    GtkWidget *precision_row = kios_test_find_widget (GTK_WIDGET (dialog), ADW_TYPE_ACTION_ROW, "precision-row");
    GtkWidget *remote_row = kios_test_find_widget (GTK_WIDGET (dialog), ADW_TYPE_ACTION_ROW, "remote-row");

    g_assert_nonnull (state_row);
    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (state_row)), ==, "Offline");
    g_assert_null (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (state_row)), "Failed to connect"));
    g_assert_nonnull (precision_row);
    g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (precision_row)), "exact position"));
    g_assert_nonnull (remote_row);
  }

  gtk_window_set_default_size (GTK_WINDOW (dialog), 560, 820);
  shot = kios_test_save_screenshot (GTK_WIDGET (dialog), "sync-details");

  /* Copy Report: what lands on the clipboard has the book and no secret. */
  g_signal_emit_by_name (kios_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, "copy-report-button"),
                         "clicked");
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (dialog)), NULL, clipboard_read_cb, &read);
  g_assert_true (kios_test_wait_until (kios_test_flag_set, &read.done, 5000));
  g_assert_nonnull (read.text);
  g_test_message ("clipboard:\n%s", read.text);
  g_assert_nonnull (strstr (read.text, TITLE));
  g_assert_nonnull (strstr (read.text, HASH));
  g_assert_nonnull (strstr (read.text, "offline"));
  assert_no_secret (read.text);
  g_assert_cmpstr (read.text, ==, kios_sync_details_dialog_get_report (dialog));
  g_free (read.text);

  gtk_window_destroy (GTK_WINDOW (dialog));
  kios_sync_service_shutdown (service, 2000);
}

int
main (int   argc,
      char *argv[])
{
  kios_ui_test_init (&argc, &argv);

  g_test_add_func ("/kios/sync-details/titles", test_titles);
  g_test_add_func ("/kios/sync-details/words", test_words);
  g_test_add_func ("/kios/sync-details/report-redacted", test_report_redacted);
  g_test_add_func ("/kios/sync-details/dialog", test_dialog);

  return g_test_run ();
}
