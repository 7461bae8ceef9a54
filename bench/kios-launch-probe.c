/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * Launch probe: what a person sees from the moment a program is started to
 * the moment its window shows its final content. Starts COMMAND and waits on
 * the X DAMAGE extension for the root window: the screen is grabbed only
 * when something was drawn (the frame's time is when the damage event
 * arrived), so the probe takes no CPU from the X server or the program
 * while nothing happens. Of each grab it keeps a coarse signature (the mean
 * colour of a grid of cells). When the screen has not changed for --settle
 * milliseconds, one more grab gives the final content; the probe prints when
 * the first pixels appeared and when the screen first matched the final
 * frame, with the program's peak RSS, the CPU seconds it used until the end
 * and the CPU milliseconds it had used when the final frame arrived.
 *
 * With --frames DIR every grab that differs from the one before is written
 * as DIR/NNNNN-<ms>.ppm, so a series can be looked at.
 *
 * Needs DISPLAY (run it under tests/headless.sh) with DAMAGE (Xvfb has it);
 * X11 only, no GTK, so that it costs the measured program nothing.
 */

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xdamage.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define GRID_W 48
#define GRID_H 30
#define MAX_FRAMES 4000

typedef struct
{
  double        ms;
  double        cpu_ms;
  unsigned char cells[GRID_W * GRID_H * 3];
} Frame;

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
signature (XImage        *image,
           unsigned char *cells)
{
  int cw = image->width / GRID_W;
  int ch = image->height / GRID_H;

  for (int gy = 0; gy < GRID_H; gy++)
    for (int gx = 0; gx < GRID_W; gx++)
      {
        unsigned long sum[3] = { 0, 0, 0 };
        int           n = 0;

        /* Every other pixel of the cell is plenty for a mean. */
        for (int y = gy * ch; y < (gy + 1) * ch; y += 2)
          for (int x = gx * cw; x < (gx + 1) * cw; x += 2)
            {
              unsigned long p = XGetPixel (image, x, y);

              sum[0] += (p >> 16) & 0xff;
              sum[1] += (p >> 8) & 0xff;
              sum[2] += p & 0xff;
              n++;
            }
        for (int c = 0; c < 3; c++)
          cells[(gy * GRID_W + gx) * 3 + c] = n > 0 ? sum[c] / n : 0;
      }
}

/* Share of cells whose colour differs from the other frame's by more than a
 * few levels (anti-aliasing and cursor blink stay below). */
static double
difference (const unsigned char *a,
            const unsigned char *b)
{
  int changed = 0;

  for (int i = 0; i < GRID_W * GRID_H; i++)
    {
      int d = 0;

      for (int c = 0; c < 3; c++)
        d += abs ((int) a[i * 3 + c] - (int) b[i * 3 + c]);
      if (d > 12)
        changed++;
    }
  return (double) changed / (GRID_W * GRID_H);
}

static void
write_ppm (const char *dir,
           int         index,
           double      ms,
           XImage     *image)
{
  char  path[4096];
  FILE *f;

  snprintf (path, sizeof path, "%s/%05d-%06.0f.ppm", dir, index, ms);
  f = fopen (path, "wb");
  if (f == NULL)
    return;
  fprintf (f, "P6\n%d %d\n255\n", image->width, image->height);
  for (int y = 0; y < image->height; y++)
    for (int x = 0; x < image->width; x++)
      {
        unsigned long p = XGetPixel (image, x, y);
        unsigned char rgb[3] = { (p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff };

        fwrite (rgb, 1, 3, f);
      }
  fclose (f);
}

static long
peak_rss_kb (pid_t pid)
{
  char  path[64], line[256];
  FILE *f;
  long  kb = -1;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  f = fopen (path, "r");
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f) != NULL)
    if (strncmp (line, "VmHWM:", 6) == 0)
      kb = strtol (line + 6, NULL, 10);
  fclose (f);
  return kb;
}

/* CPU seconds (user + system) the program has used so far. */
static double
cpu_seconds (pid_t pid)
{
  char          path[64], buf[1024];
  FILE         *f;
  size_t        n;
  char         *p;
  unsigned long utime = 0, stime = 0;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  f = fopen (path, "r");
  if (f == NULL)
    return -1;
  n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  /* Fields 14 and 15, counted after the command name in parentheses. */
  p = strrchr (buf, ')');
  if (p == NULL || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return -1;
  return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}

/* CPU milliseconds the program has used so far, read when a frame arrives.
 * The scheduler's nanosecond count of each live thread is precise; the
 * process's tick count also holds threads that have ended, so the larger
 * of the two is taken. */
static double
cpu_ms_now (pid_t pid)
{
  char           path[64];
  DIR           *dir;
  struct dirent *entry;
  double         live = 0, ticks;

  snprintf (path, sizeof path, "/proc/%d/task", (int) pid);
  dir = opendir (path);
  if (dir != NULL)
    {
      while ((entry = readdir (dir)) != NULL)
        {
          char               file[400];
          FILE              *f;
          unsigned long long ns = 0;

          if (entry->d_name[0] == '.')
            continue;
          snprintf (file, sizeof file, "%s/%s/schedstat", path, entry->d_name);
          f = fopen (file, "r");
          if (f == NULL)
            continue;
          if (fscanf (f, "%llu", &ns) == 1)
            live += ns / 1e6;
          fclose (f);
        }
      closedir (dir);
    }
  ticks = cpu_seconds (pid) * 1000;
  return ticks > live ? ticks : live;
}

/* Grabs the screen into FRAME (at MS, with the CPU the program has used)
 * and says whether it differs from the frame before; a frame that differs
 * is kept (and written to DIR). */
static int
grab (Display    *display,
      Window      root,
      int         width,
      int         height,
      Frame      *frame,
      double      ms,
      pid_t       pid,
      const char *dir,
      int        *n_written)
{
  double  cpu_ms = cpu_ms_now (pid);
  XImage *image = XGetImage (display, root, 0, 0, width, height, AllPlanes, ZPixmap);
  int     changed;

  if (image == NULL)
    return -1;
  frame->ms = ms;
  frame->cpu_ms = cpu_ms;
  signature (image, frame->cells);
  changed = difference (frame->cells, frame[-1].cells) > 0;
  if (changed && dir != NULL)
    write_ppm (dir, (*n_written)++, ms, image);
  XDestroyImage (image);
  return changed;
}

static void
usage (void)
{
  fprintf (stderr, "usage: kios-launch-probe [--timeout MS] [--settle MS] [--frames DIR] "
                   "-- COMMAND [ARG…]\n");
  exit (2);
}

int
main (int    argc,
      char **argv)
{
  double            timeout = 15000, settle = 1500;
  const char       *frames_dir = NULL;
  Display          *display;
  Window            root;
  XWindowAttributes attrs;
  Damage            damage;
  Frame            *frames;
  int               n_frames = 0, n_written = 0, n_grabs = 0, argi = 1;
  int               damage_event, damage_error, fd;
  pid_t             pid;
  double            t0, last_change;
  long              rss;
  double            cpu;
  int               first_paint = -1, first_final = -1;

  for (; argi < argc; argi++)
    {
      if (strcmp (argv[argi], "--") == 0)
        {
          argi++;
          break;
        }
      if (argi + 1 >= argc)
        usage ();
      if (strcmp (argv[argi], "--timeout") == 0)
        timeout = atof (argv[++argi]);
      else if (strcmp (argv[argi], "--settle") == 0)
        settle = atof (argv[++argi]);
      else if (strcmp (argv[argi], "--frames") == 0)
        frames_dir = argv[++argi];
      else
        usage ();
    }
  if (argi >= argc)
    usage ();

  display = XOpenDisplay (NULL);
  if (display == NULL)
    {
      fprintf (stderr, "kios-launch-probe: no X display\n");
      return 1;
    }
  if (!XDamageQueryExtension (display, &damage_event, &damage_error))
    {
      fprintf (stderr, "kios-launch-probe: the X server has no DAMAGE extension\n");
      return 1;
    }
  root = DefaultRootWindow (display);
  XGetWindowAttributes (display, root, &attrs);
  fd = ConnectionNumber (display);
  frames = calloc (MAX_FRAMES + 1, sizeof *frames);
  if (frames_dir != NULL)
    mkdir (frames_dir, 0700);

  /* Drawing anywhere on the screen (the root window and all it holds)
   * sends one event, then none until the damage is taken away again. */
  damage = XDamageCreate (display, root, XDamageReportNonEmpty);

  /* The empty screen before the program runs is frame 0. */
  {
    XImage *image = XGetImage (display, root, 0, 0, attrs.width, attrs.height, AllPlanes, ZPixmap);

    signature (image, frames[0].cells);
    frames[0].ms = 0;
    XDestroyImage (image);
    n_frames = 1;
  }
  XDamageSubtract (display, damage, None, None);
  XSync (display, False);
  while (XPending (display) > 0)
    {
      XEvent event;

      XNextEvent (display, &event);
    }

  t0 = now_ms ();
  if (posix_spawnp (&pid, argv[argi], NULL, NULL, argv + argi, environ) != 0)
    {
      fprintf (stderr, "kios-launch-probe: cannot start %s: %s\n", argv[argi], strerror (errno));
      return 1;
    }
  last_change = 0;

  while (n_frames < MAX_FRAMES)
    {
      double t = now_ms () - t0;
      double wait = timeout - t;
      int    damaged = 0, changed;

      if (t > timeout || (last_change > 0 && t - last_change > settle))
        break;
      if (last_change > 0 && last_change + settle - t < wait)
        wait = last_change + settle - t;
      /* Wake now and then to notice a program that has exited. */
      if (wait > 100)
        wait = 100;
      if (XPending (display) == 0)
        {
          fd_set         fds;
          struct timeval tv = { 0, (long) (wait * 1000) + 1 };

          FD_ZERO (&fds);
          FD_SET (fd, &fds);
          select (fd + 1, &fds, NULL, NULL, &tv);
        }
      while (XPending (display) > 0)
        {
          XEvent event;

          XNextEvent (display, &event);
          if (event.type == damage_event + XDamageNotify)
            damaged = 1;
        }
      if (!damaged)
        {
          if (waitpid (pid, NULL, WNOHANG) == pid)
            {
              fprintf (stderr, "kios-launch-probe: %s exited\n", argv[argi]);
              return 1;
            }
          continue;
        }
      /* The frame's time is when the damage arrived; what is drawn after
       * the subtraction sends the next event. */
      t = now_ms () - t0;
      XDamageSubtract (display, damage, None, None);
      changed = grab (display, root, attrs.width, attrs.height, &frames[n_frames], t, pid,
                      frames_dir, &n_written);
      n_grabs++;
      if (changed < 0)
        break;
      if (changed)
        {
          last_change = t;
          n_frames++;
        }
    }

  /* One grab once the screen has settled: the final content, should any
   * drawing have sent no event. */
  if (n_frames < MAX_FRAMES && grab (display, root, attrs.width, attrs.height, &frames[n_frames], now_ms () - t0, pid,
                                     frames_dir, &n_written) > 0)
    n_frames++;
  n_grabs++;

  rss = peak_rss_kb (pid);
  cpu = cpu_seconds (pid);
  kill (pid, SIGTERM);
  usleep (200000);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);

  /* Frames are kept only when they changed; the last one is the final
   * content. */
  for (int i = 1; i < n_frames; i++)
    {
      if (first_paint < 0 && difference (frames[i].cells, frames[0].cells) > 0.01)
        first_paint = i;
      if (first_final < 0 && difference (frames[i].cells, frames[n_frames - 1].cells) < 0.01)
        first_final = i;
    }
  if (first_paint < 0 || first_final < 0)
    {
      fprintf (stderr, "kios-launch-probe: nothing was shown within %.0f ms\n", timeout);
      return 1;
    }
  printf ("first-paint-ms %.1f final-ms %.1f frames %d peak-rss-kb %ld cpu-s %.2f "
          "final-cpu-ms %.0f grabs %d\n",
          frames[first_paint].ms, frames[first_final].ms, n_frames - 1, rss, cpu,
          frames[first_final].cpu_ms, n_grabs);
  free (frames);
  XDamageDestroy (display, damage);
  XCloseDisplay (display);
  return 0;
}
