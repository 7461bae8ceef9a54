/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * kios-bench-catalog: an OPDS catalog of N books (default 5,000), served by
 * the fake OPDS server in pages of 30 as calibre's content server pages them
 * (?offset=), with a thumbnail and a full cover per book, shown in the app's
 * KiosCatalogView under a display (bench/catalog-ui.sh runs it under Xvfb)
 * and scrolled at a steady speed, one step per frame: down while the next
 * pages load (the grid grows as the end comes near, the books in view
 * staying where they are), then from the top to the last book through the whole
 * feed, covers loading lazily as cards appear. For each:
 *
 *   - frame work (the frame clock's update to after-paint: layout, binding
 *     cards, drawing), the main thread's CPU in it (the same frames less
 *     the time other processes took the core) and frame interval
 *     (after-paint to after-paint), p50, p95, max, and the frames over
 *     16.7 ms (target: p95 <= 16.7 ms);
 *   - the cards that existed (the grid makes only those in view) and the
 *     covers the server was asked for (lazy: far fewer than N);
 *   - RSS at the end and its peak.
 *
 * Baseline in the same run: the same scroll over a bare GtkGridView of N
 * labels in the same window (what GTK costs on this machine, no covers).
 *
 * Environment: N (books), KIOS_BENCH_SPEED (pixels per frame, default 40),
 * KIOS_BENCH_CSS (a style sheet loaded over the app's, to try a card's look).
 * Not a test: the figures depend on the machine and its load.
 */

#include "config.h"

#include "kios-book-card.h"
#include "kios-catalog-view.h"
#include "kios-fake-opds.h"
#include "kios-sync-source.h"

#include <adwaita.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PER_PAGE 30
#define N_PICTURES 24
#define FEED "/opds/navcatalog/4f7469746c65?library_id=Calibre_Library"
#define ATOM "application/atom+xml;type=feed;profile=opds-catalog"
#define FRAME_BUDGET_MS 16.7
#define TIMEOUT_S 300

typedef struct
{
  GArray  *work;     /* ms, update → after-paint */
  GArray  *cpu;      /* ms, the main thread's CPU in that span */
  GArray  *interval; /* ms, after-paint → after-paint */
  GArray  *phases;   /* PhaseCpu of each frame */
  gint64   update_at;
  gint64   update_cpu;
  gint64   layout_cpu;
  gint64   paint_cpu;
  gint64   painted_at;
  guint    max_cards;
  guint    n_binds; /* cards bound to a book */
  gboolean recording;
} Frames;

static Frames frames;

/* A frame's main-thread CPU by phase, in ms: to the end of layout (tick
 * callbacks, then allocation and binding cards; GTK's handlers run before
 * these, connected later), then paint (snapshot and drawing), then what
 * follows to after-paint. */
typedef struct
{
  double cpu;
  double update;
  double layout;
  double paint;
} PhaseCpu;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *values,
            double  p)
{
  g_array_sort (values, compare_doubles);
  if (values->len == 0)
    return 0;
  return g_array_index (values, double, MIN ((guint) (p * values->len), values->len - 1));
}

static guint
count_over (GArray *values,
            double  limit)
{
  guint n = 0;

  for (guint i = 0; i < values->len; i++)
    n += g_array_index (values, double, i) > limit;
  return n;
}

/* The main thread's CPU time, in µs: a frame's own cost, whatever else
 * the machine runs meanwhile. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
update_cb (GdkFrameClock *clock,
           gpointer       data)
{
  frames.update_at = g_get_monotonic_time ();
  frames.update_cpu = thread_cpu_us ();
}

static void
layout_cb (GdkFrameClock *clock,
           gpointer       data)
{
  frames.layout_cpu = thread_cpu_us ();
}

static void
paint_cb (GdkFrameClock *clock,
          gpointer       data)
{
  frames.paint_cpu = thread_cpu_us ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  if (frames.recording && frames.update_at > 0)
    {
      gint64   now_cpu = thread_cpu_us ();
      double   work = (double) (now - frames.update_at) / 1000.0;
      double   cpu = (double) (now_cpu - frames.update_cpu) / 1000.0;
      PhaseCpu phase = { cpu, 0, 0, 0 };

      if (frames.layout_cpu >= frames.update_cpu && frames.paint_cpu >= frames.layout_cpu)
        {
          phase.update = (double) (frames.layout_cpu - frames.update_cpu) / 1000.0;
          phase.layout = (double) (frames.paint_cpu - frames.layout_cpu) / 1000.0;
          phase.paint = (double) (now_cpu - frames.paint_cpu) / 1000.0;
        }
      g_array_append_val (frames.phases, phase);
      g_array_append_val (frames.work, work);
      g_array_append_val (frames.cpu, cpu);
      if (frames.painted_at > 0)
        {
          double interval = (double) (now - frames.painted_at) / 1000.0;

          g_array_append_val (frames.interval, interval);
        }
    }
  frames.painted_at = now;
}

static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (500);
    }
}

/* /proc/self/status's field, in MB. */
static double
status_mb (const char *field)
{
  g_autofree char *status = NULL;
  const char      *at;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (at = strstr (status, field)) == NULL)
    return 0;
  return g_ascii_strtod (at + strlen (field) + 1, NULL) / 1024.0;
}

/* ---- the catalog ------------------------------------------------------------ */

static GBytes *
make_picture (guint n,
              int   width,
              int   height)
{
  g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  guchar               *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int                   stride = gdk_pixbuf_get_rowstride (pixbuf);
  g_autofree char      *buffer = NULL;
  gsize                 size = 0;

  /* A gradient in a colour of its own: a JPEG as a server sends one. */
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar *p = pixels + y * stride + x * 3;

        p[0] = (guchar) ((n * 53 + y * 97 / height) % 256);
        p[1] = (guchar) ((n * 101 + x * 61 / width) % 256);
        p[2] = (guchar) ((n * 29 + (x + y) * 43 / (width + height)) % 256);
      }
  if (!gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, "jpeg", NULL, "quality", "85", NULL))
    g_error ("Cannot make a cover");
  return g_bytes_new_take (g_steal_pointer (&buffer), size);
}

static char *
page_target (guint offset)
{
  return offset == 0 ? g_strdup (FEED) : g_strdup_printf (FEED "&offset=%u", offset);
}

/* One page of the feed: calibre's layout, its links relative to the server. */
static char *
make_page (guint offset,
           guint n)
{
  g_autoptr (GString) xml = g_string_new (NULL);
  guint               end = MIN (offset + PER_PAGE, n);

  g_string_append (xml, "<?xml version='1.0' encoding='utf-8'?>\n"
                        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:dc=\"http://purl.org/dc/terms/\">"
                        "<title>calibre Library :: By Title</title><id>calibre-all:title</id>"
                        "<updated>2026-12-06T12:00:00+00:00</updated>");
  if (end < n)
    {
      g_autofree char *target = page_target (end);
      g_autofree char *next = g_markup_escape_text (target, -1);

      g_string_append_printf (xml, "<link type=\"" ATOM "\" rel=\"next\" title=\"Next\" href=\"%s\"/>", next);
    }
  for (guint i = offset; i < end; i++)
    g_string_append_printf (xml,
                            "<entry><title>Book %05u of the Long Shelf</title>"
                            "<author><name>Author %u</name></author>"
                            "<id>urn:uuid:00000000-0000-4000-8000-%012u</id>"
                            "<updated>2026-12-06T12:00:00+00:00</updated>"
                            "<link type=\"application/epub+zip\" href=\"/get/epub/%u/Calibre_Library\" "
                            "rel=\"http://opds-spec.org/acquisition\"/>"
                            "<link type=\"image/jpeg\" href=\"/get/cover/%u/Calibre_Library\" "
                            "rel=\"http://opds-spec.org/image\"/>"
                            "<link type=\"image/jpeg\" href=\"/get/thumb/%u/Calibre_Library\" "
                            "rel=\"http://opds-spec.org/image/thumbnail\"/>"
                            "</entry>",
                            i, i % 97, i, i, i, i);
  g_string_append (xml, "</feed>\n");
  return g_string_free (g_steal_pointer (&xml), FALSE);
}

static KiosFakeOpds *
serve_catalog (guint n)
{
  KiosFakeOpds *fake = kios_fake_opds_new (KIOS_FAKE_OPDS_AUTH_NONE, NULL, NULL);
  GBytes       *covers[N_PICTURES];
  GBytes       *thumbs[N_PICTURES];

  for (guint p = 0; p < N_PICTURES; p++)
    {
      covers[p] = make_picture (p, 600, 900);
      thumbs[p] = make_picture (p, 100, 150);
    }
  for (guint offset = 0; offset < n; offset += PER_PAGE)
    {
      g_autofree char *target = page_target (offset);
      g_autofree char *page = make_page (offset, n);

      kios_fake_opds_add (fake, target, 200, ATOM, page);
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *cover = g_strdup_printf ("/get/cover/%u/Calibre_Library", i);
      g_autofree char *thumb = g_strdup_printf ("/get/thumb/%u/Calibre_Library", i);

      kios_fake_opds_add_bytes (fake, cover, "image/jpeg", covers[i % N_PICTURES], FALSE);
      kios_fake_opds_add_bytes (fake, thumb, "image/jpeg", thumbs[i % N_PICTURES], FALSE);
    }
  for (guint p = 0; p < N_PICTURES; p++)
    {
      g_bytes_unref (covers[p]);
      g_bytes_unref (thumbs[p]);
    }
  return fake;
}

/* ---- scrolling ------------------------------------------------------------ */

typedef struct
{
  GtkScrolledWindow *scrolled;
  double             speed;
  gboolean (*loaded) (gpointer data);
  gpointer   data;
  GtkWidget *grid;
  gboolean   done;
  double     distance; /* pixels scrolled */
} Scroll;

static guint
count_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    n++;
  return n;
}

static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  Scroll        *scroll = user_data;
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scroll->scrolled);
  double         end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
  double         value = gtk_adjustment_get_value (adjustment);

  frames.max_cards = MAX (frames.max_cards, count_children (scroll->grid));
  if (g_getenv ("KIOS_BENCH_DEBUG") != NULL)
    {
      guint lo = G_MAXUINT, hi = 0, n = 0;

      for (GtkWidget *child = gtk_widget_get_first_child (scroll->grid); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        {
          GtkWidget       *card = gtk_widget_get_first_child (child);
          KiosCatalogItem *item = card != NULL && KIOS_IS_BOOK_CARD (card) ? kios_book_card_get_item (KIOS_BOOK_CARD (card)) : NULL;

          if (item == NULL)
            continue;
          lo = MIN (lo, kios_catalog_item_get_index (item));
          hi = MAX (hi, kios_catalog_item_get_index (item));
          n++;
        }
      printf ("value %.0f upper %.0f page %.0f cards %u: %u-%u\n", value, gtk_adjustment_get_upper (adjustment),
              gtk_adjustment_get_page_size (adjustment), n, lo, hi);
    }
  if (value >= end - 1 && scroll->loaded (scroll->data))
    {
      scroll->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  gtk_adjustment_set_value (adjustment, MIN (value + scroll->speed, end));
  scroll->distance += gtk_adjustment_get_value (adjustment) - value;
  return G_SOURCE_CONTINUE;
}

/* Scrolls to the end, one step a frame; FALSE on a timeout. */
static gboolean
scroll_to_end (Scroll *scroll)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) TIMEOUT_S * G_USEC_PER_SEC;

  frames.work = g_array_new (FALSE, FALSE, sizeof (double));
  frames.cpu = g_array_new (FALSE, FALSE, sizeof (double));
  frames.interval = g_array_new (FALSE, FALSE, sizeof (double));
  frames.phases = g_array_new (FALSE, FALSE, sizeof (PhaseCpu));
  frames.max_cards = 0;
  frames.n_binds = 0;
  frames.painted_at = 0;
  frames.update_at = 0;
  frames.recording = TRUE;
  gtk_widget_add_tick_callback (GTK_WIDGET (scroll->scrolled), scroll_tick_cb, scroll, NULL);
  while (!scroll->done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  frames.recording = FALSE;
  return scroll->done;
}

/* Where the main thread's CPU went: in every frame, and in the slowest 5 %. */
static void
report_phases (void)
{
  PhaseCpu all = { 0 }, slow = { 0 };
  guint    n_slow = 0;
  double   limit = percentile (frames.cpu, 0.95);

  for (guint i = 0; i < frames.phases->len; i++)
    {
      PhaseCpu *p = &g_array_index (frames.phases, PhaseCpu, i);

      all.update += p->update;
      all.layout += p->layout;
      all.paint += p->paint;
      if (p->cpu >= limit)
        {
          slow.update += p->update;
          slow.layout += p->layout;
          slow.paint += p->paint;
          n_slow++;
        }
    }
  if (frames.phases->len == 0 || n_slow == 0)
    return;
  printf ("%-34s frame CPU by phase, mean: update+layout %4.2f, paint %4.2f, after %4.2f ms; "
          "in the slowest 5 %%: %4.2f, %4.2f, %4.2f ms\n",
          "", all.update / frames.phases->len, all.layout / frames.phases->len, all.paint / frames.phases->len,
          slow.update / n_slow, slow.layout / n_slow, slow.paint / n_slow);
}

static void
report (const char *label,
        double      seconds,
        double      distance)
{
  printf ("%-34s %.0f px scrolled\n", label, distance);
  printf ("%-34s %5u frames in %5.1f s; frame work p50 %5.2f ms, p95 %5.2f ms, max %6.2f ms, %4u over %.1f ms\n",
          "", frames.work->len, seconds, percentile (frames.work, 0.5), percentile (frames.work, 0.95),
          percentile (frames.work, 1.0), count_over (frames.work, FRAME_BUDGET_MS), FRAME_BUDGET_MS);
  printf ("%-34s frame CPU (main thread) p50 %5.2f ms, p95 %5.2f ms, max %6.2f ms, %4u over %.1f ms\n", "",
          percentile (frames.cpu, 0.5), percentile (frames.cpu, 0.95), percentile (frames.cpu, 1.0),
          count_over (frames.cpu, FRAME_BUDGET_MS), FRAME_BUDGET_MS);
  report_phases ();
  printf ("%-34s frame interval p50 %5.2f ms, p95 %5.2f ms, max %6.2f ms, %4u over %.1f ms (target p95 <= %.1f)\n",
          "", percentile (frames.interval, 0.5), percentile (frames.interval, 0.95), percentile (frames.interval, 1.0),
          count_over (frames.interval, FRAME_BUDGET_MS), FRAME_BUDGET_MS, FRAME_BUDGET_MS);
  g_array_unref (frames.work);
  g_array_unref (frames.cpu);
  g_array_unref (frames.interval);
  g_array_unref (frames.phases);
}

static GtkWidget *
new_window (GtkWidget *child)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (child))
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (gtk_widget_get_frame_clock (child), "update", G_CALLBACK (update_cb), NULL);
  g_signal_connect (gtk_widget_get_frame_clock (child), "layout", G_CALLBACK (layout_cb), NULL);
  g_signal_connect (gtk_widget_get_frame_clock (child), "paint", G_CALLBACK (paint_cb), NULL);
  g_signal_connect (gtk_widget_get_frame_clock (child), "after-paint", G_CALLBACK (after_paint_cb), NULL);
  return window;
}

/* ---- the baseline: GTK's own grid of labels ------------------------------- */

static void
label_setup_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item)
{
  GtkWidget *label = gtk_label_new (NULL);

  /* A card's footprint: 120 × 250. */
  gtk_widget_set_size_request (label, 120, 250);
  gtk_list_item_set_child (item, label);
}

static void
label_bind_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item)
{
  frames.n_binds++;
  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)),
                       gtk_string_object_get_string (gtk_list_item_get_item (item)));
}

static gboolean
always (gpointer data)
{
  return TRUE;
}

static void
bench_baseline (guint  n,
                double speed)
{
  GtkStringList      *strings = gtk_string_list_new (NULL);
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkWidget          *scrolled = gtk_scrolled_window_new ();
  GtkWidget          *grid;
  GtkWidget          *window;
  Scroll              scroll = { 0 };
  gint64              start;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *title = g_strdup_printf ("Book %05u", i);

      gtk_string_list_append (strings, title);
    }
  g_signal_connect (factory, "setup", G_CALLBACK (label_setup_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (label_bind_cb), NULL);
  grid = gtk_grid_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (strings))), factory);
  gtk_grid_view_set_max_columns (GTK_GRID_VIEW (grid), 8);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), grid);
  window = new_window (scrolled);
  spin_for (500);

  scroll.scrolled = GTK_SCROLLED_WINDOW (scrolled);
  scroll.speed = speed;
  scroll.loaded = always;
  scroll.grid = grid;
  start = g_get_monotonic_time ();
  scroll_to_end (&scroll);
  report ("baseline: GtkGridView of labels", (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC, scroll.distance);
  printf ("%-34s %u labels, at most %u existed, bound %u times\n", "", n, frames.max_cards, frames.n_binds);
  gtk_window_destroy (GTK_WINDOW (window));
  spin_for (100);
}

/* ---- the catalog view ----------------------------------------------------- */

/* Every page loaded, and the last book's card is bound (in view). */
static gboolean
catalog_loaded (gpointer data)
{
  KiosCatalogView    *view = data;
  const KiosOpdsFeed *feed = kios_catalog_view_get_feed (view);
  GtkWidget          *grid = gtk_scrolled_window_get_child (kios_catalog_view_get_books_scrolled (view));

  if (feed == NULL || feed->next_href != NULL || kios_catalog_view_is_busy (view))
    return FALSE;
  for (GtkWidget *child = gtk_widget_get_first_child (grid); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget       *card = gtk_widget_get_first_child (child);
      KiosCatalogItem *item = card != NULL && KIOS_IS_BOOK_CARD (card) ? kios_book_card_get_item (KIOS_BOOK_CARD (card))
                                                                       : NULL;

      if (item != NULL && kios_catalog_item_get_index (item) + 1 == feed->entries->len)
        return TRUE;
    }
  return FALSE;
}

static void
count_bind_cb (GtkListItemFactory *factory,
               GtkListItem        *item)
{
  frames.n_binds++;
}

static void
print_covers (KiosCatalogView *view,
              KiosFakeOpds    *fake,
              guint            n)
{
  printf ("%-34s %u books listed, at most %u cards existed, bound %u times; %u of them show a cover, %u the full "
          "one\n",
          "", g_list_model_get_n_items (kios_catalog_view_get_books (view)), frames.max_cards, frames.n_binds,
          kios_catalog_view_get_n_covers_shown (view), kios_catalog_view_get_n_full_covers_shown (view));
  printf ("%-34s covers asked of the server so far: %u thumbnails, %u full covers (of %u books); %u feed pages\n", "",
          kios_fake_opds_count (fake, "/get/thumb/"), kios_fake_opds_count (fake, "/get/cover/"), n,
          kios_fake_opds_count (fake, "/opds/"));
}

static void
bench_catalog (guint  n,
               double speed)
{
  g_autoptr (GError)           error = NULL;
  g_autofree char             *db = g_build_filename (g_get_user_data_dir (), "library.db", NULL);
  g_autoptr (KiosLibraryStore) store = NULL;
  g_autoptr (KiosSourceRecord) record = g_new0 (KiosSourceRecord, 1);
  KiosFakeOpds                *fake;
  g_autofree char             *url = NULL;
  KiosCatalogView             *view;
  GtkWidget                   *window;
  GtkScrolledWindow           *scrolled;
  Scroll                       scroll = { 0 };
  gint64                       start;
  double                       seconds;
  gboolean                     finished;

  fake = serve_catalog (n);
  url = g_strconcat (kios_fake_opds_get_url (fake), FEED, NULL);
  g_mkdir_with_parents (g_get_user_data_dir (), 0700);
  store = kios_library_store_new (db, &error);
  if (store == NULL)
    g_error ("Cannot open the library: %s", error->message);
  record->name = g_strdup ("Long Shelf");
  record->kind = g_strdup ("opds");
  record->auth = g_strdup ("none");
  if (!kios_sync_source_save_secrets (record, url, NULL, NULL, NULL, &error) ||
      !kios_library_store_add_source (store, record, &error))
    g_error ("Cannot add the catalog: %s", error->message);

  view = kios_catalog_view_new ();
  kios_catalog_view_set_store (view, store);
  window = new_window (GTK_WIDGET (view));
  start = g_get_monotonic_time ();
  kios_catalog_view_set_source (view, record);
  while (g_strcmp0 (kios_catalog_view_get_visible_page (view), "entries") != 0 &&
         g_get_monotonic_time () - start < 30 * G_USEC_PER_SEC)
    g_main_context_iteration (NULL, TRUE);
  printf ("%-34s first page shown after %.1f ms\n", "catalog", (double) (g_get_monotonic_time () - start) / 1000.0);
  spin_for (500);

  scrolled = kios_catalog_view_get_books_scrolled (view);
  scroll.scrolled = scrolled;
  scroll.speed = speed;
  scroll.loaded = catalog_loaded;
  scroll.data = view;
  scroll.grid = gtk_scrolled_window_get_child (scrolled);
  g_signal_connect (gtk_grid_view_get_factory (GTK_GRID_VIEW (scroll.grid)), "bind", G_CALLBACK (count_bind_cb), NULL);
  /* 1. Down while the pages arrive (the grid grows as the end comes near). */
  start = g_get_monotonic_time ();
  finished = scroll_to_end (&scroll);
  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  report (finished ? "catalog view: every page loaded" : "catalog view: TIMED OUT", seconds, scroll.distance);
  print_covers (view, fake, n);

  /* 2. From the top to the last book through the whole feed, covers
   * loading as cards appear (those bound in step 1 come from the cache). */
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (scrolled), 0.0);
  spin_for (1000);
  scroll.done = FALSE;
  scroll.distance = 0;
  start = g_get_monotonic_time ();
  finished = scroll_to_end (&scroll);
  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  report (finished ? "catalog view: top to last book" : "catalog view: TIMED OUT", seconds, scroll.distance);
  /* The covers of the last screen, then what was asked for. */
  spin_for (3000);
  print_covers (view, fake, n);
  printf ("%-34s RSS %.1f MB at the end, peak %.1f MB\n", "", status_mb ("VmRSS:"), status_mb ("VmHWM:"));
  fflush (stdout);

  gtk_window_destroy (GTK_WINDOW (window));
  spin_for (200);
  kios_library_store_flush (store, 5000);
  kios_fake_opds_free (fake);
}

static void
add_style (void (*load) (GtkCssProvider *provider, const char *path),
           const char *path,
           guint       priority)
{
  g_autoptr (GtkCssProvider) provider = gtk_css_provider_new ();

  load (provider, path);
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider), priority);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *tmp = g_dir_make_tmp ("kios-bench-catalog-XXXXXX", NULL);
  g_autofree char *data = g_build_filename (tmp, "data", NULL);
  g_autofree char *cache = g_build_filename (tmp, "cache", NULL);
  const char      *n_env = g_getenv ("N");
  const char      *speed_env = g_getenv ("KIOS_BENCH_SPEED");
  guint            n = n_env != NULL ? (guint) g_ascii_strtoull (n_env, NULL, 10) : 5000;
  double           speed = speed_env != NULL ? g_ascii_strtod (speed_env, NULL) : 40.0;
  g_autofree char *rm = NULL;
  g_autofree char *keyring = NULL;

  /* A cold cover cache and a library of its own, every run. */
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  /* The catalog's address goes to a keyring: a file one, as in the tests. */
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  keyring = g_build_filename (tmp, "keyring", NULL);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "kios-bench-keyring", TRUE);
  setvbuf (stdout, NULL, _IOLBF, 0);
  adw_init ();
  /* The app's style, as its AdwApplication loads it (cards' covers, their
   * shadows and corners), then a style to try over it (KIOS_BENCH_CSS=FILE)
   * without a rebuild. */
  add_style (gtk_css_provider_load_from_resource, "/app/kios/Kios/style.css", GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  if (g_getenv ("KIOS_BENCH_CSS") != NULL)
    add_style (gtk_css_provider_load_from_path, g_getenv ("KIOS_BENCH_CSS"), GTK_STYLE_PROVIDER_PRIORITY_USER);

  printf ("OPDS catalog of %u books in pages of %u, scrolled at %.0f px a frame (%.0f px/s at 60 Hz)\n", n,
          PER_PAGE, speed, speed * 60);
  printf ("machine: %u cores, load %s", g_get_num_processors (), "");
  {
    g_autofree char *loadavg = NULL;

    if (g_file_get_contents ("/proc/loadavg", &loadavg, NULL, NULL))
      printf ("%.14s", loadavg);
    printf ("\n");
  }
  bench_baseline (n, speed);
  bench_catalog (n, speed);

  rm = g_strdup_printf ("rm -rf '%s'", tmp);
  if (system (rm) != 0)
    g_warning ("Could not remove %s", tmp);
  return 0;
}
