/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "kios-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr (KiosApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = kios_application_new ();
  /* Books to open start opening at startup, beside GTK's own start-up,
   * and only in the primary instance: a second one hands them over. */
  for (int i = 1; i < argc; i++)
    if (argv[i][0] != '-')
      kios_application_preopen (app, argv[i]);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
