/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-application"

#include "config.h"

#include "kios-application.h"

struct _KiosApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (KiosApplication, kios_application, ADW_TYPE_APPLICATION)

static void
kios_application_class_init (KiosApplicationClass *klass)
{
}

static void
kios_application_init (KiosApplication *self)
{
}

KiosApplication *
kios_application_new (void)
{
  return g_object_new (KIOS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       NULL);
}
