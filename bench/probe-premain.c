/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

/*
 * Pre-main probe: preloaded (LD_PRELOAD) into a program started as
 * $PROBE_PREMAIN_MATCH (its argv[0]), it ends the process with status 0 the
 * moment its main () would run. What the process cost until then is what loading,
 * relocating and the libraries' constructors cost: bench/probe-premain.sh
 * measures it with perf stat. Any other program (perf itself) runs as
 * usual.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef int (*MainFunc) (int, char **, char **);
typedef int (*StartMainFunc) (MainFunc, int, char **, void (*) (void), void (*) (void), void (*) (void), void *);

int __libc_start_main (MainFunc main_func,
                       int      argc,
                       char   **argv,
                       void (*init) (void),
                       void (*fini) (void),
                       void (*rtld_fini) (void),
                       void *stack_end);

static int
exit_at_main (int    argc,
              char **argv,
              char **envp)
{
  _exit (0);
}

int
__libc_start_main (MainFunc main_func,
                   int      argc,
                   char   **argv,
                   void (*init) (void),
                   void (*fini) (void),
                   void (*rtld_fini) (void),
                   void *stack_end)
{
  StartMainFunc real = (StartMainFunc) dlsym (RTLD_NEXT, "__libc_start_main");
  const char   *match = getenv ("PROBE_PREMAIN_MATCH");

  if (match != NULL && match[0] != '\0' && argc > 0 && strcmp (argv[0], match) == 0)
    main_func = exit_at_main;
  return real (main_func, argc, argv, init, fini, rtld_fini, stack_end);
}
