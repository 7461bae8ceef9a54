/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define KIOS_TYPE_APPLICATION (kios_application_get_type ())
G_DECLARE_FINAL_TYPE (KiosApplication, kios_application, KIOS, APPLICATION, AdwApplication)

KiosApplication *kios_application_new (void);

G_END_DECLS
