#include "case-support.h"

#include <stdio.h>
#include <string.h>

#include <util/bmem.h>

#include "still-source.h"

bool make_filtered_source(const char *name, const char *filter_name, uint32_t w, uint32_t h, uint32_t variant,
			  const char *filter_json, obs_source_t **source, obs_source_t **filter)
{
	obs_data_t *s = obs_data_create();
	obs_data_set_int(s, "width", w);
	obs_data_set_int(s, "height", h);
	obs_data_set_int(s, "variant", variant);
	*source = obs_source_create(STILL_SOURCE_ID, name, s, NULL);
	obs_data_release(s);
	obs_data_t *fs = filter_json ? obs_data_create_from_json(filter_json) : obs_data_create();
	*filter = obs_source_create(FILTER_ID, filter_name, fs, NULL);
	obs_data_release(fs);
	CHECK(*source && *filter, "could not create the %s", *source ? "filter (module loaded?)" : "still source");
	obs_source_filter_add(*source, *filter);
	return true;
}

void update_json(obs_source_t *filter, const char *json)
{
	obs_data_t *d = obs_data_create_from_json(json);
	if (!d) {
		check_fail("test bug: invalid JSON %s", json);
		return;
	}
	obs_source_update(filter, d);
	obs_data_release(d);
}

struct host_wait {
	obs_source_t *filter;
	long long target;
	const char *fragment;
};

static bool host_ready(void *arg)
{
	struct host_wait *w = arg;
	struct filter_stats st;
	filter_stats_read(w->filter, &st);
	if (st.link_state != 2) /* SFX_LINK_CONNECTED */
		return false;
	char *text, *host;
	filter_get_status(w->filter, &text, &host);
	bool ok = strstr(host, "\"state\"") != NULL;
	bfree(text);
	bfree(host);
	return ok;
}

bool wait_host_ready(obs_source_t *filter, int timeout_ms)
{
	struct host_wait w = {.filter = filter};
	if (session_wait_until(host_ready, &w, timeout_ms))
		return true;
	struct filter_stats st;
	filter_stats_read(filter, &st);
	char *text, *host;
	filter_get_status(filter, &text, &host);
	check_fail("host not ready within %d ms: link_state %lld, host STATUS '%s', status line:\n%s", timeout_ms,
		   st.link_state, host, text);
	bfree(text);
	bfree(host);
	return false;
}

static bool host_frames_reached(void *arg)
{
	struct host_wait *w = arg;
	struct filter_stats st;
	filter_stats_read(w->filter, &st);
	return st.frames_received >= w->target;
}

bool wait_host_frames(obs_source_t *filter, long long count, int timeout_ms)
{
	struct filter_stats st;
	filter_stats_read(filter, &st);
	struct host_wait w = {.filter = filter, .target = st.frames_received + count};
	if (session_wait_until(host_frames_reached, &w, timeout_ms))
		return true;
	char *text, *host;
	filter_get_status(filter, &text, &host);
	filter_stats_read(filter, &st);
	check_fail("the host returned %lld of %lld expected frames within %d ms; host STATUS '%s'",
		   st.frames_received - (w.target - count), count, timeout_ms, host);
	bfree(text);
	bfree(host);
	return false;
}

static bool config_has(void *arg)
{
	struct host_wait *w = arg;
	char *json = filter_get_config(w->filter);
	bool ok = strstr(json, w->fragment) != NULL;
	bfree(json);
	return ok;
}

bool wait_config_has(obs_source_t *filter, const char *fragment, int timeout_ms)
{
	struct host_wait w = {.filter = filter, .fragment = fragment};
	if (session_wait_until(config_has, &w, timeout_ms))
		return true;
	char *json = filter_get_config(filter);
	check_fail("CONFIGURE JSON lacks %s within %d ms; it is: %s", fragment, timeout_ms, json);
	bfree(json);
	return false;
}

const char *region_kind_name(enum region_kind k)
{
	return k == REGION_PASSTHROUGH ? "passthrough" : k == REGION_INVERTED ? "inverted" : "neither";
}

enum region_kind region_classify(uint32_t x0, uint32_t y0, uint32_t w, uint32_t h, uint32_t variant, double *d_orig,
				 double *d_inv)
{
	uint32_t fw = session_width(), fh = session_height();
	uint8_t *frame = bmalloc((size_t)fw * fh * 4);
	uint8_t *still = bmalloc((size_t)w * h * 4);
	session_copy_frame(frame);
	still_fill(still, w, h, (size_t)w * 4, variant);
	*d_orig = frame_region_diff(frame, fw, x0, y0, still, w, h, false);
	*d_inv = frame_region_diff(frame, fw, x0, y0, still, w, h, true);
	bfree(frame);
	bfree(still);
	/* Passthrough is exact; the host's inversion went through two resamplings (capture size and
	 * back), which blur edges a little. */
	if (*d_orig < 0.5)
		return REGION_PASSTHROUGH;
	if (*d_inv < 6.0)
		return REGION_INVERTED;
	return REGION_OTHER;
}

struct region_wait {
	uint32_t x0, y0, w, h, variant;
	enum region_kind want;
};

static bool region_is(void *arg)
{
	struct region_wait *r = arg;
	double a, b;
	return region_classify(r->x0, r->y0, r->w, r->h, r->variant, &a, &b) == r->want;
}

bool wait_region(uint32_t x0, uint32_t y0, uint32_t w, uint32_t h, uint32_t variant, enum region_kind want,
		 int timeout_ms)
{
	struct region_wait r = {x0, y0, w, h, variant, want};
	if (session_wait_until(region_is, &r, timeout_ms))
		return true;
	double a, b;
	enum region_kind k = region_classify(x0, y0, w, h, variant, &a, &b);
	check_fail("region (%u,%u %ux%u) is %s, expected %s within %d ms (mean error vs input %.2f, vs inverted %.2f)",
		   x0, y0, w, h, region_kind_name(k), region_kind_name(want), timeout_ms, a, b);
	return false;
}

long long setting_int(obs_source_t *filter, const char *key)
{
	obs_data_t *s = obs_source_get_settings(filter);
	long long v = obs_data_get_int(s, key);
	obs_data_release(s);
	return v;
}

bool setting_bool(obs_source_t *filter, const char *key)
{
	obs_data_t *s = obs_source_get_settings(filter);
	bool v = obs_data_get_bool(s, key);
	obs_data_release(s);
	return v;
}

struct hotkey_lookup {
	obs_source_t *owner; /* the filter's parent, where libobs 29 lets the hotkeys live */
	const char *name;
	obs_hotkey_id id;
};

static bool lookup_hotkey(void *data, obs_hotkey_id id, obs_hotkey_t *key)
{
	struct hotkey_lookup *l = data;
	if (obs_hotkey_get_registerer_type(key) == OBS_HOTKEY_REGISTERER_SOURCE &&
	    obs_weak_source_references_source(obs_hotkey_get_registerer(key), l->owner) &&
	    strcmp(obs_hotkey_get_name(key), l->name) == 0) {
		l->id = id;
		return false;
	}
	return true;
}

bool trigger_filter_hotkey(obs_source_t *filter, const char *name)
{
	struct hotkey_lookup l = {obs_filter_get_parent(filter), name, OBS_INVALID_HOTKEY_ID};
	obs_enum_hotkeys(lookup_hotkey, &l);
	if (l.id == OBS_INVALID_HOTKEY_ID) {
		check_fail("the filter has no hotkey '%s'", name);
		return false;
	}
	obs_hotkey_trigger_routed_callback(l.id, true);
	obs_hotkey_trigger_routed_callback(l.id, false);
	return true;
}
