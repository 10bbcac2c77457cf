/*
 * The filter's settings: defaults, the properties panel, and parsing obs_data into a checked
 * struct. Every key here is part of the properties contract (websocket clients set them by name),
 * so a value out of range is clamped and logged, never trusted.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <obs-module.h>

#define SFX_SETTING_RESOLUTION "resolution"
#define SFX_SETTING_BYPASS     "bypass"
#define SFX_SETTING_MODEL_DIR  "model_dir"

#define SFX_RESOLUTION_DEFAULT 512
#define SFX_RESOLUTION_MIN     64
#define SFX_RESOLUTION_MAX     1024
#define SFX_RESOLUTION_STEP    64

#define SFX_MODEL_DIR_MAX 4096

struct sfx_filter_settings {
	uint32_t resolution; /* processing size: frames are scaled to resolution x resolution */
	bool bypass;         /* passthrough without sending frames */
	/* Model folder chosen by the user; "" means the plugin's default pack. */
	char model_dir[SFX_MODEL_DIR_MAX];
};

void sfx_filter_settings_defaults(obs_data_t *settings);

/* Adds the settings' controls to props. */
void sfx_filter_settings_add_properties(obs_properties_t *props);

/* Reads and checks every field; values out of range are clamped with a warning naming the key. */
void sfx_filter_settings_read(struct sfx_filter_settings *out, obs_data_t *settings);

bool sfx_filter_settings_equal(const struct sfx_filter_settings *a, const struct sfx_filter_settings *b);

/* The complete, checked settings as a JSON object for the host's CONFIGURE message (defaults
 * included, unlike obs_data_get_json). model_dir is the folder the host should load: the user's
 * choice, or default_model_dir when that is empty (NULL: send ""). Returns a bmalloc'd string. */
char *sfx_filter_settings_to_json(const struct sfx_filter_settings *settings, const char *default_model_dir);
