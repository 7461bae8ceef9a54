/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What one kiosctl process did: its exit status and both outputs. */
typedef struct
{
  int   status;
  char *out;
  char *err;
} KiosctlRun;

static inline void
kiosctl_run_clear (KiosctlRun *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (KiosctlRun, kiosctl_run_clear)

/*
 * Runs kiosctl ($KIOSCTL, set by tests/meson.build) as a user would: a
 * separate process with the given stdin, in this test case's isolated XDG
 * directories, with a file-backed keyring of its own there. The arguments
 * end with NULL. A previous result in `run` is cleared first.
 */
static inline void
kios_test_kiosctl (KiosctlRun *run,
                   const char *stdin_text,
                   ...)
{
  g_autoptr (GPtrArray)           argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess)         process = NULL;
  g_autoptr (GError)              error = NULL;
  g_autofree char                *keyring = g_build_filename (g_get_user_data_dir (), "kiosctl-keyring", NULL);
  const char                     *exe = g_getenv ("KIOSCTL");
  const char                     *arg;
  va_list                         args;

  g_assert_nonnull (exe);
  kiosctl_run_clear (run);
  g_ptr_array_add (argv, (char *) exe);
  va_start (args, stdin_text);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                        G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_BACKEND", "file", TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_subprocess_launcher_setenv (launcher, "SECRET_FILE_TEST_PASSWORD", "kiosctl-test-keyring", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, stdin_text, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (process);
  if (run->status != 0)
    g_test_message ("kiosctl exited with %d: %s", run->status, run->err);
}

G_END_DECLS
