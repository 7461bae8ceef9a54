/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-error-messages"

#include "config.h"

#include "kios-error-messages.h"

#include "kios-error.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

char *
kios_error_message_for_open (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == KIOS_DOCUMENT_ERROR)
    {
      switch ((KiosDocumentError) error->code)
        {
        case KIOS_DOCUMENT_ERROR_NOT_EBOOK:
          return g_strdup (_ ("This file is not an e-book. Kios opens EPUB and PDF books."));
        case KIOS_DOCUMENT_ERROR_DAMAGED:
          return g_strdup (_ ("The book is damaged and cannot be read."));
        case KIOS_DOCUMENT_ERROR_DRM:
          return g_strdup (_ ("The book is protected by DRM. Kios can only open books without copy protection."));
        case KIOS_DOCUMENT_ERROR_TOO_COMPLEX:
          return g_strdup (_ ("The book is too complex to lay out safely."));
        case KIOS_DOCUMENT_ERROR_NOT_FOUND:
          return g_strdup (_ ("The file could not be found. It may have been moved or deleted."));
        case KIOS_DOCUMENT_ERROR_INVALID:
        default:
          break;
        }
    }
  else if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_NOT_FOUND:
          return g_strdup (_ ("The file could not be found. It may have been moved or deleted."));
        case G_IO_ERROR_PERMISSION_DENIED:
          return g_strdup (_ ("You do not have permission to read this file."));
        case G_IO_ERROR_IS_DIRECTORY:
          return g_strdup (_ ("This is a folder, not a book."));
        case G_IO_ERROR_NOT_SUPPORTED:
          return g_strdup (_ ("Only files on this computer can be opened."));
        default:
          break;
        }
    }
  else if (error->domain == G_FILE_ERROR)
    {
      if (error->code == G_FILE_ERROR_NOENT)
        return g_strdup (_ ("The file could not be found. It may have been moved or deleted."));
      if (error->code == G_FILE_ERROR_ACCES || error->code == G_FILE_ERROR_PERM)
        return g_strdup (_ ("You do not have permission to read this file."));
    }

  return g_strdup (_ ("The book could not be read."));
}

char *
kios_error_message_for_store (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == KIOS_STORE_ERROR && error->code == KIOS_STORE_ERROR_CORRUPT)
    return g_strdup (_ ("Your library is damaged. Reading positions will not be saved."));

  return g_strdup (_ ("Your library could not be opened. Reading positions will not be saved."));
}
