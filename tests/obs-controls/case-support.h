/*
 * Building blocks of the controls cases: sources with the filter, settings changes, and waits on
 * what the filter reports.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <obs.h>

#include "obs-session.h"

#define FILTER_ID     "streamfx_diffusion_filter"
#define HOST_START_MS 60000 /* host spawn + model load on a slow CPU */
#define SETTLE_MS     10000
#define STILL_WIDTH   640
#define STILL_HEIGHT  360

/* A still source (non-private, so hotkeys register) named `name` with the filter `filter_name`
 * (settings as JSON, may be NULL). The caller releases both. */
bool make_filtered_source(const char *name, const char *filter_name, uint32_t w, uint32_t h, uint32_t variant,
			  const char *filter_json, obs_source_t **source, obs_source_t **filter);

/* obs_source_update with a JSON object of changes. */
void update_json(obs_source_t *filter, const char *json);

/* Waits until the filter's host is connected and has sent a STATUS. */
bool wait_host_ready(obs_source_t *filter, int timeout_ms);
/* Waits until the host returned at least `count` more frames than now. */
bool wait_host_frames(obs_source_t *filter, long long count, int timeout_ms);
/* Waits until the CONFIGURE JSON contains `fragment`. */
bool wait_config_has(obs_source_t *filter, const char *fragment, int timeout_ms);

enum region_kind { REGION_OTHER, REGION_PASSTHROUGH, REGION_INVERTED };
/* Classifies a region of the newest program frame against the still picture `variant`. */
enum region_kind region_classify(uint32_t x0, uint32_t y0, uint32_t w, uint32_t h, uint32_t variant, double *d_orig,
				 double *d_inv);
bool wait_region(uint32_t x0, uint32_t y0, uint32_t w, uint32_t h, uint32_t variant, enum region_kind want,
		 int timeout_ms);
const char *region_kind_name(enum region_kind k);

/* The filter's setting as now stored (what websocket clients read back). */
long long setting_int(obs_source_t *filter, const char *key);
bool setting_bool(obs_source_t *filter, const char *key);

/* Triggers (press + release) the filter's hotkey `name` through libobs' routed path, the way the
 * OBS window and obs-websocket's TriggerHotkeyByName do (needs obs_hotkey_enable_callback_rerouting). */
bool trigger_filter_hotkey(obs_source_t *filter, const char *name);
