/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-reader-view"

#include "config.h"

#include "kios-reader-view-private.h"

#include "kios-epub.h"
#include "kios-go-to-popover.h"
#include "kios-progress-bar.h"

#include <glib/gi18n.h>
#include <math.h>

/*
 * Moving freely: seeking with the progress bar, "Go to" (a page, a
 * percentage or a chapter), the Back/Forward history of jumps, and the time
 * left from the reader's own pace.
 */

/* The "Back to page N" pill stays this long after a jump. */
#define BACK_PILL_SECONDS 8
/* At most this many jumps are remembered. */
#define MAX_HISTORY 50

typedef struct
{
  KiosPosition *position;
  int           page_number; /* 0-based, or -1 */
} NavEntry;

static void
nav_entry_free (NavEntry *entry)
{
  kios_position_free (entry->position);
  g_free (entry);
}

static NavEntry *
nav_entry_new (const KiosPosition *position,
               int                 page_number)
{
  NavEntry *entry = g_new0 (NavEntry, 1);

  entry->position = kios_position_copy (position);
  entry->page_number = page_number;
  return entry;
}

static NavEntry *
nav_entry_here (KiosReaderView *self)
{
  int page_number = -1;

  if (self->position == NULL)
    return NULL;
  if (self->current != NULL && self->current->page->page_number >= 0 &&
      kios_document_get_n_pages (self->document) > 0)
    page_number = self->current->page->page_number;
  return nav_entry_new (self->position, page_number);
}

static gboolean
same_place (const KiosPosition *a,
            const KiosPosition *b)
{
  if (a == NULL || b == NULL)
    return FALSE;
  if (a->xpointer != NULL && b->xpointer != NULL)
    return g_str_equal (a->xpointer, b->xpointer);
  return a->chapter == b->chapter && a->offset == b->offset &&
         fabs (a->total_progress - b->total_progress) < 1e-9;
}

static gint64
now_usec (KiosReaderView *self)
{
  if (self->clock != NULL)
    return self->clock (self->clock_data);
  return g_get_monotonic_time ();
}

/* ------------------------------------------------------------------------ */
/* History.                                                                 */

static void
update_nav_actions (KiosReaderView *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean   open = self->document != NULL;

  gtk_widget_action_set_enabled (widget, "reader.back", open && self->back->len > 0);
  gtk_widget_action_set_enabled (widget, "reader.forward", open && self->forward->len > 0);
  gtk_widget_action_set_enabled (widget, "reader.go-to", open);
}

static char *
back_label (const NavEntry *entry)
{
  if (entry->page_number >= 0)
    /* Translators: the button that appears after a jump, e.g. "Back to page 12". */
    return g_strdup_printf (_ ("Back to page %d"), entry->page_number + 1);
  /* Translators: the button that appears after a jump, e.g. "Back to 45%". */
  return g_strdup_printf (_ ("Back to %d%%"), (int) floor (CLAMP (entry->position->total_progress, 0.0, 1.0) * 100.0));
}

static void
hide_back_pill (KiosReaderView *self)
{
  g_clear_handle_id (&self->back_pill_timeout_id, g_source_remove);
  if (self->back_button != NULL && gtk_widget_get_visible (self->back_button))
    {
      /* The keys stay with the page when the pill they were on goes. */
      if (gtk_widget_has_focus (self->back_button))
        gtk_widget_grab_focus (GTK_WIDGET (self));
      gtk_widget_set_visible (self->back_button, FALSE);
    }
}

static gboolean
back_pill_timeout_cb (gpointer user_data)
{
  KiosReaderView *self = user_data;

  self->back_pill_timeout_id = 0;
  hide_back_pill (self);
  return G_SOURCE_REMOVE;
}

static void
show_back_pill (KiosReaderView *self)
{
  g_autofree char *label = NULL;

  if (self->back->len == 0)
    {
      hide_back_pill (self);
      return;
    }
  label = back_label (g_ptr_array_index (self->back, self->back->len - 1));
  gtk_button_set_label (GTK_BUTTON (self->back_button), label);
  /* Set when first shown: each tooltip set asks the X server where the pointer is. */
  if (gtk_widget_get_tooltip_text (self->back_button) == NULL)
    gtk_widget_set_tooltip_text (self->back_button, _ ("Go back to where you were (Alt+Left)"));
  gtk_widget_set_visible (self->back_button, TRUE);
  g_clear_handle_id (&self->back_pill_timeout_id, g_source_remove);
  self->back_pill_timeout_id = g_timeout_add_seconds (BACK_PILL_SECONDS, back_pill_timeout_cb, self);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

static void
push_back (KiosReaderView *self,
           NavEntry       *entry)
{
  if (self->back->len > 0 &&
      same_place (((NavEntry *) g_ptr_array_index (self->back, self->back->len - 1))->position, entry->position))
    {
      nav_entry_free (entry);
      return;
    }
  g_ptr_array_add (self->back, entry);
  if (self->back->len > MAX_HISTORY)
    g_ptr_array_remove_index (self->back, 0);
}

void
kios_reader_view_record_jump (KiosReaderView *self)
{
  NavEntry *entry;

  if (self->document == NULL)
    return;
  self->nav_jump = TRUE;
  entry = nav_entry_here (self);
  if (entry == NULL)
    return;
  push_back (self, entry);
  g_ptr_array_set_size (self->forward, 0);
  update_nav_actions (self);
}

/* Goes to the top of from (back or forward), keeping where the reader is on to. */
static gboolean
travel (KiosReaderView *self,
        GPtrArray      *from,
        GPtrArray      *to)
{
  NavEntry *entry = NULL;
  NavEntry *here;

  if (self->document == NULL)
    return FALSE;
  /* An entry for the page on screen (find went back to where it began) is no move. */
  while (from->len > 0)
    {
      entry = g_ptr_array_steal_index (from, from->len - 1);
      if (!same_place (entry->position, self->position))
        break;
      g_clear_pointer (&entry, nav_entry_free);
    }
  if (entry == NULL)
    {
      update_nav_actions (self);
      return FALSE;
    }
  here = nav_entry_here (self);
  if (here != NULL)
    g_ptr_array_add (to, here);
  self->queued_turn = 0;
  self->nav_jump = TRUE;
  self->nav_travel = TRUE;
  kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, entry->position, -1, SHOW_USER, NULL);
  nav_entry_free (entry);
  hide_back_pill (self);
  update_nav_actions (self);
  return TRUE;
}

gboolean
kios_reader_view_go_back (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  return travel (self, self->back, self->forward);
}

gboolean
kios_reader_view_go_forward (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  return travel (self, self->forward, self->back);
}

guint
kios_reader_view_get_n_back (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), 0);

  return self->back->len;
}

guint
kios_reader_view_get_n_forward (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), 0);

  return self->forward->len;
}

GtkWidget *
kios_reader_view_get_back_button (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->back_button;
}

void
kios_reader_view_jump_to (KiosReaderView     *self,
                          const KiosPosition *position,
                          KiosJumpFlags       flags)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));
  g_return_if_fail (position != NULL);

  if (self->document == NULL)
    return;
  if (flags & KIOS_JUMP_RECORD_BACK)
    kios_reader_view_record_jump (self);
  kios_reader_view_go_to_position (self, position);
}

/* ------------------------------------------------------------------------ */
/* Seeking and "Go to".                                                     */

void
kios_reader_view_seek (KiosReaderView *self,
                       double          fraction)
{
  g_autoptr (KiosPosition) target = NULL;

  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (self->document == NULL || isnan (fraction))
    return;
  /* Only the whole-book fraction: the document finds the chapter and the page. */
  target = kios_position_new ();
  target->format = kios_document_get_format (self->document);
  target->chapter = -1;
  target->total_progress = CLAMP (fraction, 0.0, 1.0);
  kios_reader_view_record_jump (self);
  self->queued_turn = 0;
  kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, target, -1, SHOW_USER, NULL);
}

static void
seek_cb (KiosProgressBar *bar,
         double           fraction,
         KiosReaderView  *self)
{
  kios_reader_view_seek (self, fraction);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
preview_cb (KiosProgressBar *bar,
            GParamSpec      *pspec,
            KiosReaderView  *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

char *
kios_reader_view_get_seek_preview (KiosReaderView *self)
{
  KiosProgressBar *bar = KIOS_PROGRESS_BAR (self->progress_bar);
  double           preview = kios_progress_bar_get_preview (bar);

  if (preview < 0 || self->document == NULL)
    return NULL;
  return kios_progress_bar_describe (bar, preview);
}

static char *
fold (const char *text)
{
  g_autofree char *normal = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);

  return g_utf8_casefold (normal != NULL ? normal : text, -1);
}

GArray *
kios_reader_view_match_chapters (KiosReaderView *self,
                                 const char     *text,
                                 guint           max)
{
  GArray          *matches = g_array_new (FALSE, FALSE, sizeof (int));
  GPtrArray       *toc = self->document != NULL ? kios_document_get_toc (self->document) : NULL;
  g_autofree char *needle = NULL;
  g_autofree char *stripped = g_strstrip (g_strdup (text != NULL ? text : ""));

  if (toc == NULL || *stripped == '\0')
    return matches;
  needle = fold (stripped);
  /* Titles starting with the text first, then those containing it. */
  for (int pass = 0; pass < 2 && matches->len < max; pass++)
    for (guint i = 0; i < toc->len && matches->len < max; i++)
      {
        const KiosTocEntry *entry = g_ptr_array_index (toc, i);
        g_autofree char    *title = NULL;
        const char         *hit;

        if (entry->title == NULL || entry->chapter < 0)
          continue;
        title = fold (entry->title);
        hit = strstr (title, needle);
        if (hit != NULL && (pass == 0) == (hit == title))
          {
            int index = (int) i;

            g_array_append_val (matches, index);
          }
      }
  return matches;
}

/* "120", "page 120", "p. 120": the page number, or 0. */
static guint64
parse_page (const char *text)
{
  g_autoptr (GRegex)     regex = NULL;
  g_autoptr (GMatchInfo) match = NULL;
  g_autofree char       *pattern = NULL;
  g_autofree char       *digits = NULL;
  g_autofree char       *word = NULL;
  guint64                page = 0;

  /* Translators: the word a reader may type before a page number in "Go to" ("page 120"). */
  word = g_regex_escape_string (C_ ("go-to", "page"), -1);
  pattern = g_strdup_printf ("^(?:page|%s|p\\.?)?\\s*([0-9]{1,9})$", word);
  regex = g_regex_new (pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
  if (regex == NULL || !g_regex_match (regex, text, 0, &match))
    return 0;
  digits = g_match_info_fetch (match, 1);
  if (!g_ascii_string_to_unsigned (digits, 10, 0, G_MAXINT, &page, NULL))
    return 0;
  return page;
}

/* "45%", "45 %", "12.5%": TRUE with the percentage (any number). */
static gboolean
parse_percent (const char *text,
               double     *percent)
{
  g_autofree char *number = NULL;
  char            *end = NULL;
  gsize            len = strlen (text);

  if (len < 2 || text[len - 1] != '%')
    return FALSE;
  number = g_strstrip (g_strndup (text, len - 1));
  g_strdelimit (number, ",", '.');
  *percent = g_ascii_strtod (number, &end);
  if (end == number || *end != '\0' || isnan (*percent))
    *percent = -1.0;
  return TRUE;
}

gboolean
kios_reader_view_go_to_text (KiosReaderView *self,
                             const char     *text,
                             char          **message)
{
  g_autofree char   *input = NULL;
  g_autoptr (GArray) chapters = NULL;
  double             percent = 0;
  guint64            page;

  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), FALSE);

  if (message != NULL)
    *message = NULL;
  if (self->document == NULL)
    return FALSE;
  input = g_strstrip (g_strdup (text != NULL ? text : ""));

  if (*input == '\0')
    {
      if (message != NULL)
        *message = g_strdup (_ ("Type a page number, a percentage or a chapter name"));
      return FALSE;
    }

  if (parse_percent (input, &percent))
    {
      g_autoptr (KiosPosition) target = NULL;

      if (!(percent >= 0.0 && percent <= 100.0))
        {
          if (message != NULL)
            *message = g_strdup (_ ("A percentage goes from 0% to 100%"));
          return FALSE;
        }
      target = kios_position_new ();
      target->format = kios_document_get_format (self->document);
      target->chapter = -1;
      target->total_progress = percent / 100.0;
      kios_reader_view_record_jump (self);
      self->queued_turn = 0;
      kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_POSITION, NULL, target, -1, SHOW_USER, NULL);
      return TRUE;
    }

  page = parse_page (input);
  if (page > 0 || g_ascii_isdigit (input[0]))
    {
      int          n_pages = kios_document_get_n_pages (self->document);
      KiosLocation location;

      if (n_pages <= 0)
        {
          if (message != NULL)
            *message = g_strdup (_ ("The pages are still being counted: try a percentage or a chapter"));
          return FALSE;
        }
      if (page < 1 || page > (guint64) n_pages || !kios_document_get_page_location (self->document, (int) page - 1, &location))
        {
          if (message != NULL)
            /* Translators: "Go to" was given a page number the book does not have. */
            *message = g_strdup_printf (_ ("This book has pages 1 to %d"), n_pages);
          return FALSE;
        }
      kios_reader_view_record_jump (self);
      self->queued_turn = 0;
      kios_reader_view_request_show (self, KIOS_PAGE_REQUEST_LOCATION, &location, NULL, -1, SHOW_USER, NULL);
      return TRUE;
    }

  chapters = kios_reader_view_match_chapters (self, input, 1);
  if (chapters->len == 0)
    {
      if (message != NULL)
        /* Translators: "Go to" found no chapter whose title contains what was typed. */
        *message = g_strdup_printf (_ ("No chapter called “%s”"), input);
      return FALSE;
    }
  kios_reader_view_go_to_toc (self, g_array_index (chapters, int, 0));
  return TRUE;
}

static void
popover_closed_cb (GtkPopover     *popover,
                   KiosReaderView *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

void
kios_reader_view_set_go_to_visible (KiosReaderView *self,
                                    gboolean        visible)
{
  double area_x;
  double area_width;

  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  if (!visible)
    {
      if (self->go_to_popover != NULL)
        gtk_popover_popdown (GTK_POPOVER (self->go_to_popover));
      return;
    }
  if (self->document == NULL)
    return;
  if (self->go_to_popover == NULL)
    {
      self->go_to_popover = kios_go_to_popover_new (self);
      gtk_widget_set_parent (self->go_to_popover, GTK_WIDGET (self));
      g_signal_connect (self->go_to_popover, "closed", G_CALLBACK (popover_closed_cb), self);
    }
  kios_reader_view_page_area (self, &area_x, &area_width);
  gtk_popover_set_pointing_to (GTK_POPOVER (self->go_to_popover),
                               &(GdkRectangle){ (int) (area_x + area_width / 2), 8, 1, 1 });
  kios_go_to_popover_reset (KIOS_GO_TO_POPOVER (self->go_to_popover));
  gtk_popover_popup (GTK_POPOVER (self->go_to_popover));
}

GtkWidget *
kios_reader_view_get_go_to_popover (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->go_to_popover;
}

/* ------------------------------------------------------------------------ */
/* Time left.                                                               */

static double
chapter_end (KiosReaderView *self,
             double          progress)
{
  double end = 1.0;

  for (guint i = 0; self->toc_fractions != NULL && i < self->toc_fractions->len; i++)
    {
      double start = g_array_index (self->toc_fractions, double, i);

      if (start > progress + 1e-9 && start < end)
        end = start;
    }
  return end;
}

static void
update_time_left (KiosReaderView *self)
{
  double           rate = self->pace != NULL ? kios_reading_pace_get_rate (self->pace) : 0.0;
  g_autofree char *text = NULL;

  if (rate > 0 && self->current != NULL && self->position != NULL)
    {
      double           progress = self->progress;
      g_autofree char *chapter = kios_reading_pace_format_minutes ((chapter_end (self, progress) - progress) / rate);
      g_autofree char *book = kios_reading_pace_format_minutes ((1.0 - progress) / rate);

      /* Translators: under the page, from the reader's own pace: "12 min left in chapter · 6 h 40 min left in book". */
      text = g_strdup_printf (_ ("%s left in chapter · %s left in book"), chapter, book);
    }
  if (g_strcmp0 (text, self->time_left) != 0)
    {
      g_free (self->time_left);
      self->time_left = g_steal_pointer (&text);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

const char *
kios_reader_view_get_time_left (KiosReaderView *self)
{
  g_return_val_if_fail (KIOS_IS_READER_VIEW (self), NULL);

  return self->time_left;
}

void
kios_reader_view_set_clock (KiosReaderView     *self,
                            KiosReaderViewClock clock,
                            gpointer            user_data)
{
  g_return_if_fail (KIOS_IS_READER_VIEW (self));

  self->clock = clock;
  self->clock_data = user_data;
}

/* Chapter starts of the whole contents, for the tooltip and the time left. */
void
kios_reader_view_nav_update_toc (KiosReaderView *self)
{
  GPtrArray            *toc = self->document != NULL ? kios_document_get_toc (self->document) : NULL;
  GArray               *starts = self->document != NULL ? kios_document_get_chapter_starts (self->document) : NULL;
  int                   n_chapters = self->document != NULL ? kios_document_get_n_chapters (self->document) : 0;
  g_autoptr (GPtrArray) titles = g_ptr_array_new ();

  g_clear_pointer (&self->toc_fractions, g_array_unref);
  self->toc_fractions = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; toc != NULL && i < toc->len; i++)
    {
      const KiosTocEntry *entry = g_ptr_array_index (toc, i);
      double              start;

      if (entry->chapter < 0 || entry->title == NULL)
        continue;
      if (kios_document_is_reflowable (self->document))
        {
          if (starts == NULL || (guint) entry->chapter >= starts->len)
            continue;
          start = g_array_index (starts, double, entry->chapter);
        }
      else if (n_chapters > 0)
        start = (double) entry->chapter / n_chapters;
      else
        continue;
      g_array_append_val (self->toc_fractions, start);
      g_ptr_array_add (titles, entry->title);
    }
  kios_progress_bar_set_chapters (KIOS_PROGRESS_BAR (self->progress_bar),
                                  (const double *) (gpointer) self->toc_fractions->data,
                                  (const char *const *) titles->pdata, titles->len);
}

/* ------------------------------------------------------------------------ */
/* The view's hooks.                                                        */

void
kios_reader_view_nav_page_changed (KiosReaderView *self,
                                   ShowReason      reason,
                                   gboolean        turned)
{
  const KiosPage *page = self->current != NULL ? self->current->page : NULL;
  gboolean        jumped = self->nav_jump;
  gboolean        travelled = self->nav_travel;

  self->nav_jump = FALSE;
  self->nav_travel = FALSE;

  /* A find match: Back goes to where the search began (once per search). */
  if (reason == SHOW_FIND && self->find_visible && self->find_origin != NULL &&
      !same_place (self->find_origin, self->position))
    {
      push_back (self, nav_entry_new (self->find_origin, -1));
      g_ptr_array_set_size (self->forward, 0);
      jumped = TRUE;
    }

  if (page != NULL && reason != SHOW_RELAYOUT && reason != SHOW_REFRESH)
    {
      /* Only a turn to the page right after the last one (in a two-page
       * spread, the page after the right one) is a sample of the pace;
       * anything else starts measuring again from here. */
      int      step = self->spread ? 2 : 1;
      gboolean next = turned && !jumped && self->pace_location_valid &&
                      (page->location.chapter == self->pace_location.chapter
                           ? page->location.page > self->pace_location.page &&
                                 page->location.page <= self->pace_location.page + step
                           : page->location.chapter > self->pace_location.chapter && page->location.page < step);

      kios_reading_pace_page_shown (self->pace, now_usec (self), self->progress, next);
      self->pace_location = page->location;
      self->pace_location_valid = TRUE;
    }

  if (jumped && !travelled)
    show_back_pill (self);
  update_time_left (self);
  update_nav_actions (self);
}

void
kios_reader_view_nav_reset (KiosReaderView *self)
{
  /* Also reached from dispose, which may run twice. */
  if (self->back == NULL)
    return;
  g_ptr_array_set_size (self->back, 0);
  g_ptr_array_set_size (self->forward, 0);
  g_clear_pointer (&self->pace, kios_reading_pace_free);
  self->pace = kios_reading_pace_new ();
  self->pace_location_valid = FALSE;
  self->nav_jump = FALSE;
  self->nav_travel = FALSE;
  g_clear_pointer (&self->time_left, g_free);
  hide_back_pill (self);
  if (self->go_to_popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->go_to_popover));
  update_nav_actions (self);
}

void
kios_reader_view_nav_allocate (KiosReaderView *self,
                               int             width,
                               int             height,
                               int             bar_height)
{
  if (self->back_button != NULL && gtk_widget_get_visible (self->back_button))
    {
      double area_x;
      double area_width;
      int    pill_width = 0;
      int    pill_height = 0;

      /* Above the page label, centred on the page. */
      kios_reader_view_page_area (self, &area_x, &area_width);
      gtk_widget_measure (self->back_button, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &pill_width, NULL, NULL);
      gtk_widget_measure (self->back_button, GTK_ORIENTATION_VERTICAL, pill_width, NULL, &pill_height, NULL, NULL);
      pill_width = MIN (pill_width, width);
      gtk_widget_allocate (self->back_button, pill_width, pill_height, -1,
                           gsk_transform_translate (NULL, &GRAPHENE_POINT_INIT (area_x + floor ((area_width - pill_width) / 2),
                                                                                MAX (height - bar_height - pill_height - 52, 0))));
    }
  if (self->go_to_popover != NULL && gtk_widget_get_visible (self->go_to_popover))
    gtk_popover_present (GTK_POPOVER (self->go_to_popover));
}

void
kios_reader_view_nav_snapshot (KiosReaderView *self,
                               GtkSnapshot    *snapshot)
{
  /* The popover is a surface of its own: it draws itself. */
  if (self->back_button != NULL && gtk_widget_get_visible (self->back_button))
    gtk_widget_snapshot_child (GTK_WIDGET (self), self->back_button, snapshot);
}

static void
back_clicked_cb (KiosReaderView *self)
{
  kios_reader_view_go_back (self);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

void
kios_reader_view_nav_init (KiosReaderView *self)
{
  self->back = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_entry_free);
  self->forward = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_entry_free);
  self->pace = kios_reading_pace_new ();

  self->back_button = gtk_button_new_with_label ("");
  gtk_widget_add_css_class (self->back_button, "osd");
  gtk_widget_add_css_class (self->back_button, "pill");
  gtk_widget_set_visible (self->back_button, FALSE);
  gtk_widget_set_parent (self->back_button, GTK_WIDGET (self));
  g_signal_connect_swapped (self->back_button, "clicked", G_CALLBACK (back_clicked_cb), self);

  g_signal_connect (self->progress_bar, "seek", G_CALLBACK (seek_cb), self);
  g_signal_connect (self->progress_bar, "notify::preview", G_CALLBACK (preview_cb), self);
  update_nav_actions (self);
}

void
kios_reader_view_nav_dispose (KiosReaderView *self)
{
  g_clear_handle_id (&self->back_pill_timeout_id, g_source_remove);
  g_clear_pointer (&self->back_button, gtk_widget_unparent);
  g_clear_pointer (&self->go_to_popover, gtk_widget_unparent);
  g_clear_pointer (&self->back, g_ptr_array_unref);
  g_clear_pointer (&self->forward, g_ptr_array_unref);
  g_clear_pointer (&self->pace, kios_reading_pace_free);
  g_clear_pointer (&self->toc_fractions, g_array_unref);
  g_clear_pointer (&self->time_left, g_free);
}

static void
nav_action_cb (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);

  if (g_str_equal (action_name, "reader.back"))
    kios_reader_view_go_back (self);
  else if (g_str_equal (action_name, "reader.forward"))
    kios_reader_view_go_forward (self);
  else if (g_str_equal (action_name, "reader.go-to"))
    kios_reader_view_set_go_to_visible (self, TRUE);
}

static gboolean
nav_shortcut_cb (GtkWidget *widget,
                 GVariant  *args,
                 gpointer   user_data)
{
  KiosReaderView *self = KIOS_READER_VIEW (widget);
  const char     *action = user_data;

  if (self->document == NULL || !gtk_widget_is_drawable (widget))
    return FALSE;
  return gtk_widget_activate_action (widget, action, NULL);
}

void
kios_reader_view_class_init_nav (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "reader.back", NULL, nav_action_cb);
  gtk_widget_class_install_action (widget_class, "reader.forward", NULL, nav_action_cb);
  gtk_widget_class_install_action (widget_class, "reader.go-to", NULL, nav_action_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "reader.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Left, GDK_ALT_MASK, "reader.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, GDK_ALT_MASK, "reader.forward", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Right, GDK_ALT_MASK, "reader.forward", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK, "reader.go-to", NULL);
}

void
kios_reader_view_nav_init_shortcuts (KiosReaderView *self)
{
  static const struct
  {
    guint           keyval;
    GdkModifierType modifiers;
    const char     *action;
  } keys[] = {
    { GDK_KEY_g, GDK_CONTROL_MASK, "reader.go-to" },
    { GDK_KEY_Left, GDK_ALT_MASK, "reader.back" },
    { GDK_KEY_Right, GDK_ALT_MASK, "reader.forward" },
    { GDK_KEY_b, GDK_CONTROL_MASK, "reader.show-annotations" },
    { GDK_KEY_d, GDK_CONTROL_MASK, "reader.toggle-bookmark" },
  };
  GtkEventController *shortcuts = gtk_shortcut_controller_new ();

  /* Wherever the focus is in the window (the header's buttons too), while
   * a book is on screen. */
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_GLOBAL);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].keyval, keys[i].modifiers),
                                                            gtk_callback_action_new (nav_shortcut_cb, (gpointer) keys[i].action, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);
}
