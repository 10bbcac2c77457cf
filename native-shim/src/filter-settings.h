/*
 * The filter's settings: defaults, and parsing obs_data into a checked struct. Every key here is
 * part of the public controls contract (docs/controls.md): websocket clients and bots set them by
 * name, so a value out of range is clamped and logged (key, expected, found), never trusted.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <obs-module.h>

#define SFX_SETTING_PROMPT               "prompt"
#define SFX_SETTING_NEGATIVE_PROMPT      "negative_prompt"
#define SFX_SETTING_STYLES               "styles"
#define SFX_SETTING_STYLE_INDEX          "style_index"
#define SFX_SETTING_STRENGTH             "strength"
#define SFX_SETTING_STEPS                "steps"
#define SFX_SETTING_GUIDANCE_SCALE       "guidance_scale"
#define SFX_SETTING_DELTA                "delta"
#define SFX_SETTING_CFG_TYPE             "cfg_type"
#define SFX_SETTING_SEED                 "seed"
#define SFX_SETTING_SIMILARITY_THRESHOLD "similarity_threshold"
#define SFX_SETTING_RESOLUTION           "resolution"
#define SFX_SETTING_FIT_MODE             "fit_mode"
#define SFX_SETTING_MODEL_DIR            "model_dir"
#define SFX_SETTING_EXECUTION_PROVIDER   "execution_provider"
#define SFX_SETTING_TRANSITION_FRAMES    "transition_frames"
#define SFX_SETTING_BYPASS               "bypass"

/* Derived keys the shim adds to CONFIGURE (not settings). */
#define SFX_CONFIG_EFFECTIVE_PROMPT "effective_prompt"
#define SFX_CONFIG_STYLE_NAME       "style_name"
#define SFX_CONFIG_ACTIVE           "active"

#define SFX_RESOLUTION_DEFAULT 512
#define SFX_RESOLUTION_MIN     256
#define SFX_RESOLUTION_MAX     1024
#define SFX_RESOLUTION_STEP    64

#define SFX_STEPS_MIN             1
#define SFX_STEPS_MAX             4
#define SFX_GUIDANCE_MAX          20.0
#define SFX_DELTA_MAX             10.0
#define SFX_SEED_MAX              2147483647LL /* the OBS int widget's range */
#define SFX_TRANSITION_FRAMES_MAX 600

#define SFX_PROMPT_MAX_BYTES    2048
#define SFX_STYLE_MAX_BYTES     512
#define SFX_STYLES_MAX          32
#define SFX_STYLE_HOTKEYS       9
#define SFX_MODEL_DIR_MAX_BYTES 4096

enum sfx_cfg_type { SFX_CFG_NONE, SFX_CFG_SELF, SFX_CFG_INITIALIZE, SFX_CFG_FULL };
enum sfx_fit_mode { SFX_FIT_CROP, SFX_FIT_FIT, SFX_FIT_STRETCH };
enum sfx_provider {
	SFX_PROVIDER_AUTO,
	SFX_PROVIDER_TENSORRT,
	SFX_PROVIDER_CUDA,
	SFX_PROVIDER_DIRECTML,
	SFX_PROVIDER_CPU
};

struct sfx_filter_settings {
	char *prompt;          /* what is in the scene */
	char *negative_prompt; /* what to steer away from */
	char **styles;         /* "Name: prompt text" entries */
	size_t style_count;
	int style_index; /* -1: no style; else 0 .. style_count-1 */
	double strength;
	int steps;
	double guidance_scale;
	double delta;
	enum sfx_cfg_type cfg_type;
	int64_t seed;
	double similarity_threshold; /* 0 = off */
	uint32_t resolution;         /* processing size of the model square */
	enum sfx_fit_mode fit_mode;
	char *model_dir; /* "" means the plugin's default pack */
	enum sfx_provider execution_provider;
	int transition_frames;
	bool bypass;
};

void sfx_filter_settings_defaults(obs_data_t *settings);

/* Reads and checks every field; values out of range are clamped with a warning naming the key,
 * the expected range and the value found. `who` names the filter in the warnings. Free with
 * sfx_filter_settings_free. */
void sfx_filter_settings_read(struct sfx_filter_settings *out, obs_data_t *settings, const char *who);
void sfx_filter_settings_free(struct sfx_filter_settings *s);

/* The complete, checked settings as the CONFIGURE JSON object (every contract key, "styles" as
 * an array of strings, plus effective_prompt, style_name and active). model_dir is the folder the
 * host should load: the user's choice, or default_model_dir when that is empty. bfree the result. */
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

const char *sfx_cfg_type_name(enum sfx_cfg_type t);
const char *sfx_fit_mode_name(enum sfx_fit_mode m);
const char *sfx_provider_name(enum sfx_provider p);
