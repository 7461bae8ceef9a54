/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* Copyright 2026 The Kios authors */

#define G_LOG_DOMAIN "kios-banner"

#include "config.h"

#include "kios-banner.h"

#include <glib/gi18n.h>

struct _KiosBanner
{
  GtkWidget parent_instance;

  GtkRevealer *revealer;
  GtkLabel    *label;
  GtkWidget   *continue_button;
  GtkWidget   *stay_button;
};

G_DEFINE_FINAL_TYPE (KiosBanner, kios_banner, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_REVEALED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CONTINUE,
  SIGNAL_STAY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* AdwBanner's look for libadwaita 1.2, which has no AdwBanner: the same node
 * names, padding and accent-tinted background as libadwaita 1.3's banner. */
#if !ADW_CHECK_VERSION(1, 3, 0)
static const char fallback_css[] =
    "banner > revealer > widget {"
    "  background-color: mix(@accent_bg_color, @window_bg_color, 0.7);"
    "  color: @window_fg_color;"
    "  padding: 6px;"
    "}"
    "banner > revealer > widget > label {"
    "  margin-left: 12px;"
    "  margin-right: 6px;"
    "  font-weight: bold;"
    "}"
    "banner > revealer > widget > button {"
    "  margin-left: 6px;"
    "}";
#endif

static void
ensure_style (void)
{
#if !ADW_CHECK_VERSION(1, 3, 0)
  static gsize loaded = 0;

  if (g_once_init_enter (&loaded))
    {
      GtkCssProvider *provider = gtk_css_provider_new ();
      GdkDisplay     *display = gdk_display_get_default ();

      gtk_css_provider_load_from_data (provider, fallback_css, -1);
      if (display != NULL)
        gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                                    GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
      g_object_unref (provider);
      g_once_init_leave (&loaded, 1);
    }
#endif
  /* With AdwBanner (libadwaita 1.3+) the theme styles the "banner" node. */
}

static void
on_continue_clicked (KiosBanner *self)
{
  kios_banner_set_revealed (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_CONTINUE], 0);
}

static void
on_stay_clicked (KiosBanner *self)
{
  kios_banner_set_revealed (self, FALSE);
  g_signal_emit (self, signals[SIGNAL_STAY], 0);
}

static void
kios_banner_dispose (GObject *object)
{
  KiosBanner *self = KIOS_BANNER (object);

  if (self->revealer != NULL)
    {
      gtk_widget_unparent (GTK_WIDGET (self->revealer));
      self->revealer = NULL;
    }

  G_OBJECT_CLASS (kios_banner_parent_class)->dispose (object);
}

static void
kios_banner_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  KiosBanner *self = KIOS_BANNER (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, kios_banner_get_title (self));
      break;
    case PROP_REVEALED:
      g_value_set_boolean (value, kios_banner_get_revealed (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_banner_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  KiosBanner *self = KIOS_BANNER (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      kios_banner_set_title (self, g_value_get_string (value));
      break;
    case PROP_REVEALED:
      kios_banner_set_revealed (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kios_banner_class_init (KiosBannerClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = kios_banner_dispose;
  object_class->get_property = kios_banner_get_property;
  object_class->set_property = kios_banner_set_property;

  properties[PROP_TITLE] =
      g_param_spec_string ("title", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVEALED] =
      g_param_spec_boolean ("revealed", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KiosBanner::continue:
   * @self: the banner
   *
   * Continue was clicked: go to the other device's position.
   */
  signals[SIGNAL_CONTINUE] =
      g_signal_new ("continue", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 0);
  /**
   * KiosBanner::stay:
   * @self: the banner
   *
   * Stay here was clicked: keep the local position.
   */
  signals[SIGNAL_STAY] =
      g_signal_new ("stay", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "banner");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
kios_banner_init (KiosBanner *self)
{
  GtkWidget *box;

  ensure_style ();

  self->revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_transition_type (self->revealer, GTK_REVEALER_TRANSITION_TYPE_SLIDE_DOWN);
  gtk_widget_set_parent (GTK_WIDGET (self->revealer), GTK_WIDGET (self));

  /* A plain GtkWidget-named node like AdwBanner's inner "widget". */
  box = g_object_new (GTK_TYPE_BOX, "css-name", "widget", "orientation", GTK_ORIENTATION_HORIZONTAL,
                      "spacing", 0, NULL);
  gtk_revealer_set_child (self->revealer, box);

  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->label, TRUE);
  gtk_label_set_justify (self->label, GTK_JUSTIFY_CENTER);
  gtk_widget_set_hexpand (GTK_WIDGET (self->label), TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->label));

  self->stay_button = gtk_button_new_with_mnemonic (_ ("_Stay here"));
  gtk_widget_set_name (self->stay_button, "stay-button");
  gtk_widget_set_valign (self->stay_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->stay_button, "pill");
  g_signal_connect_swapped (self->stay_button, "clicked", G_CALLBACK (on_stay_clicked), self);
  gtk_box_append (GTK_BOX (box), self->stay_button);

  self->continue_button = gtk_button_new_with_mnemonic (_ ("_Continue"));
  gtk_widget_set_name (self->continue_button, "continue-button");
  gtk_widget_set_valign (self->continue_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->continue_button, "suggested-action");
  gtk_widget_add_css_class (self->continue_button, "pill");
  g_signal_connect_swapped (self->continue_button, "clicked", G_CALLBACK (on_continue_clicked), self);
  gtk_box_append (GTK_BOX (box), self->continue_button);
}

GtkWidget *
kios_banner_new (void)
{
  return g_object_new (KIOS_TYPE_BANNER, NULL);
}

const char *
kios_banner_get_title (KiosBanner *self)
{
  g_return_val_if_fail (KIOS_IS_BANNER (self), NULL);
  return gtk_label_get_text (self->label);
}

gboolean
kios_banner_get_revealed (KiosBanner *self)
{
  g_return_val_if_fail (KIOS_IS_BANNER (self), FALSE);
  return gtk_revealer_get_reveal_child (self->revealer);
}

void
kios_banner_set_title (KiosBanner *self,
                       const char *title)
{
  g_return_if_fail (KIOS_IS_BANNER (self));

  if (g_strcmp0 (gtk_label_get_text (self->label), title != NULL ? title : "") == 0)
    return;
  gtk_label_set_text (self->label, title != NULL ? title : "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
kios_banner_set_revealed (KiosBanner *self,
                          gboolean    revealed)
{
  g_return_if_fail (KIOS_IS_BANNER (self));

  revealed = !!revealed;
  if (gtk_revealer_get_reveal_child (self->revealer) == revealed)
    return;
  gtk_revealer_set_reveal_child (self->revealer, revealed);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVEALED]);
}

void
kios_banner_show_prompt (KiosBanner *self,
                         const char *chapter_title)
{
  g_autofree char *title = NULL;

  g_return_if_fail (KIOS_IS_BANNER (self));

  /* Translators: the chapter title of the other device's position. */
  title = g_strdup_printf (_ ("Another device is in ‘%s’ — switch?"),
                           chapter_title != NULL ? chapter_title : _ ("another chapter"));
  kios_banner_set_title (self, title);
  kios_banner_set_revealed (self, TRUE);
}
