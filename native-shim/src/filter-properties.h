/*
 * The properties panel: the status line, then one group of controls per schema group
 * (docs/settings.schema.json: prompt and styles, effect, output, models, advanced), with an
 * "advanced" toggle that hides the expert settings, and in the Models group the catalogue's
 * downloads (model-downloads.h). Every string comes from data/locale/en-US.ini.
 */
#pragma once

#include <obs-module.h>

/* UI-only key (not part of the controls contract, never sent to the host): shows the advanced group. */
#define SFX_SETTING_SHOW_ADVANCED "show_advanced"
/* UI-only keys, one per catalogue entry whose licence must be accepted: "model_licence_accepted.<id>"
 * (bool). Ticked, the entry's Download button works. Saved with the filter, never sent to the host. */
#define SFX_SETTING_MODEL_ACCEPT_PREFIX "model_licence_accepted."
/* The schema group the model downloads are listed in, below its settings. */
#define SFX_MODEL_DOWNLOADS_GROUP "group_models"
#define SFX_PROPERTY_STATUS       "status"

/* Builds the panel for `filter` (NULL: the type's panel without a status line). status_text is
 * the current status line. */
obs_properties_t *sfx_filter_properties_create(obs_source_t *filter, const char *status_text);
