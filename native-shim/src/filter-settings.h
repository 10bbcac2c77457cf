/*
 * The filter's settings: defaults, parsing obs_data into a checked struct, and the CONFIGURE JSON.
 * Keys, ranges, defaults and the struct itself come from docs/settings.schema.json through the
 * generated settings-contract.h; this file and filter-settings.c hold only the logic that reads a
 * table entry. Every key is part of the public controls contract (docs/controls.md): websocket
 * clients and bots set them by name, so a value out of range is clamped and logged (key, expected,
 * found), never trusted.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <obs-module.h>

#include "generated/settings-contract.h"

/* Derived keys the shim adds to CONFIGURE (not settings). */
#define SFX_CONFIG_EFFECTIVE_PROMPT "effective_prompt"
#define SFX_CONFIG_STYLE_NAME       "style_name"
#define SFX_CONFIG_ACTIVE           "active"

/* The largest processing size; the link's frame size is capped to it. */
#define SFX_RESOLUTION_MAX SFX_SETTING_RESOLUTION_MAX

#define SFX_STYLE_HOTKEYS 9

/* The spec of a contract key, or NULL when the key is not in the contract. */
const struct sfx_setting_spec *sfx_setting_find(const char *key);

void sfx_filter_settings_defaults(obs_data_t *settings);

/* Reads and checks every field; values out of range are clamped with a warning naming the key,
 * the expected range and the value found. `who` names the filter in the warnings. Free with
 * sfx_filter_settings_free. */
void sfx_filter_settings_read(struct sfx_filter_settings *out, obs_data_t *settings, const char *who);
void sfx_filter_settings_free(struct sfx_filter_settings *s);

/* The complete, checked settings as the CONFIGURE JSON object, written by libobs
 * (obs_data_get_json: keys sorted, "styles" as [{"value": ...}] like the editable list stores it),
 * plus effective_prompt, style_name and active. model_dir is the folder the host should load: the
 * user's choice, or default_model_dir when that is empty. bfree the result. */
char *sfx_filter_settings_to_json(const struct sfx_filter_settings *s, const char *default_model_dir, bool active);

/* A style entry's name (text before the first ':', trimmed; the whole entry if there is none),
 * copied into out. */
void sfx_style_name(const char *entry, char *out, size_t cap);
/* A style entry's prompt text: after the first ':', trimmed (the whole entry if no ':'). */
void sfx_style_text(const char *entry, char *out, size_t cap);
/* prompt + ", " + the selected style's text (either may be empty). bfree the result. */
char *sfx_effective_prompt(const struct sfx_filter_settings *s);

/* Size of the frame sent to the host for a cx x cy source: the source's aspect ratio kept, the
 * short side (crop) or long side (fit, stretch) at `resolution`, neither side over max_side, even
 * sizes. The host maps this frame into its model square with the same fit mode. */
void sfx_capture_size(uint32_t cx, uint32_t cy, uint32_t resolution, enum sfx_fit_mode fit, uint32_t max_side,
		      uint32_t *width, uint32_t *height);

/* The value's name for a choice key ("crop", "self", ...). */
const char *sfx_choice_name(enum sfx_setting_id id, int value);
