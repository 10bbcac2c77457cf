#include "diffusion-filter.h"

#include <stdatomic.h>
#include <string.h>

#include <util/dstr.h>
#include <util/platform.h>

#include "bridge/host-link.h"
#include "filter-hotkeys.h"
#include "filter-properties.h"
#include "filter-settings.h"
#include "frame-output.h"
#include "frame-readback.h"
#include "model-downloads.h"
#include "plugin-config.h"
#include "platform/platform.h"
#include "plugin-log.h"
#include "status-line.h"

/* Largest frame the link carries in either direction; capture sizes are capped to it. */
#define LINK_MAX_SIZE SFX_RESOLUTION_MAX

/* Maps an input sequence back to the render frame it was captured on (latency in frames). */
#define SEQUENCE_MAP_SIZE 64

/* The source counts as hidden once no program render reached the filter for this many ticks. */
#define INACTIVE_AFTER_TICKS 15
/* The panel is reloaded at most this often, only when the status changed in kind, and not while the
 * streamer is editing. */
#define STATUS_REFRESH_NS 1000000000ull
#define EDIT_QUIET_NS     2000000000ull

struct sequence_frame {
	uint32_t sequence;
	uint64_t frame;
};

struct diffusion_filter {
	obs_source_t *self;
	struct sfx_host_link *link; /* NULL when the host could not be found */
	char *default_model_dir;    /* the plugin's model pack, NULL if none */
	struct sfx_filter_hotkeys hotkeys;

	/* Read by video_render, written by update. */
	atomic_uint resolution;
	atomic_int fit_mode;
	atomic_bool bypass;
	atomic_bool source_alpha; /* composite the host's colour with the source's alpha */
	atomic_uint_fast64_t last_settings_change_ns;

	/* Under config_mutex: the checked settings and what was sent from them. */
	struct sfx_mutex *config_mutex;
	struct sfx_filter_settings applied;
	bool active_sent;  /* the "active" flag of the last CONFIGURE */
	char *config_json; /* the last CONFIGURE queued */
	uint64_t configures_sent;

	/* Graphics thread only. */
	gs_effect_t *effect; /* data/effects/frame-composite.effect; NULL: plain draw, no alpha */
	struct frame_readback readback;
	struct frame_output output;
	bool processed_this_frame; /* video_render can run several times per frame (several views) */
	struct sequence_frame sequence_map[SEQUENCE_MAP_SIZE];
	uint64_t tick;
	uint64_t last_active_render_tick;
	uint64_t last_status_ns;
	struct dstr status_shown;               /* the status key (sfx_status_line_key) the last reload was for */
	uint64_t downloads_shown;               /* sfx_model_downloads_generation at the last reload */
	struct sfx_host_status *status_scratch; /* refresh_status's copy (64 KiB: not on the stack) */

	/* Written on the graphics thread, read from any thread. */
	atomic_bool active;
	atomic_uint_fast64_t frames_staged;
	atomic_uint_fast64_t frames_published;
	atomic_uint_fast64_t frames_dropped;
	atomic_uint_fast64_t frames_received;
	atomic_uint_fast64_t frames_drawn;
	atomic_uint_fast64_t latency_ns_last;
	atomic_uint_fast64_t latency_frames_last;
	atomic_uint_fast64_t latency_ns_sum;
	atomic_uint_fast64_t latency_frames_sum;
	atomic_uint_fast64_t latency_count;
	atomic_uint input_width, input_height;
	atomic_uint output_width, output_height;
	atomic_uint_fast64_t status_refreshes;
};

static const char *filter_get_name(void *type_data)
{
	(void)type_data;
	return obs_module_text("StreamFx.DiffusionFilter");
}

/* ---- Settings -> host ----------------------------------------------------------------------- */

/* With config_mutex held: queues the CONFIGURE for the applied settings if it differs from the
 * last one. */
static void send_configuration_locked(struct diffusion_filter *f, bool active)
{
	char *json = sfx_filter_settings_to_json(&f->applied, f->default_model_dir, active);
	f->active_sent = active;
	if (f->config_json && strcmp(json, f->config_json) == 0) {
		bfree(json);
		return;
	}
	bfree(f->config_json);
	f->config_json = json;
	if (f->link) {
		sfx_host_link_configure(f->link, json);
		f->configures_sent++;
	}
}

static void filter_update(void *data, obs_data_t *settings)
{
	struct diffusion_filter *f = data;
	struct sfx_filter_settings s;
	sfx_filter_settings_read(&s, settings, obs_source_get_name(f->self));

	atomic_store(&f->resolution, (unsigned)s.resolution);
	atomic_store(&f->fit_mode, (int)s.fit_mode);
	atomic_store(&f->bypass, s.bypass);
	atomic_store(&f->source_alpha, s.source_alpha);
	atomic_store(&f->last_settings_change_ns, os_gettime_ns());

	sfx_mutex_lock(f->config_mutex);
	sfx_filter_settings_free(&f->applied);
	f->applied = s; /* takes ownership */
	send_configuration_locked(f, atomic_load(&f->active));
	sfx_mutex_unlock(f->config_mutex);
}

/* ---- Hotkeys -------------------------------------------------------------------------------- */

/* Writes one key back into the filter's settings, as a streamer's click would: the panel, saved
 * scene collections and websocket clients all see it. */
static void write_back_int(struct diffusion_filter *f, const char *key, long long value)
{
	obs_data_t *change = obs_data_create();
	obs_data_set_int(change, key, value);
	obs_source_update(f->self, change);
	obs_data_release(change);
	obs_source_update_properties(f->self);
}

static void on_hotkey_action(void *data, enum sfx_hotkey_action action, int style)
{
	struct diffusion_filter *f = data;
	if (action == SFX_HOTKEY_ACTION_BYPASS) {
		/* Stored at once so a second press before update runs toggles back. */
		bool bypass = !atomic_load(&f->bypass);
		atomic_store(&f->bypass, bypass);
		obs_data_t *change = obs_data_create();
		obs_data_set_bool(change, SFX_SETTING_BYPASS, bypass);
		obs_source_update(f->self, change);
		obs_data_release(change);
		obs_source_update_properties(f->self);
		return;
	}

	sfx_mutex_lock(f->config_mutex);
	size_t count = f->applied.style_count;
	int current = f->applied.style_index;
	int next = current;
	if (action == SFX_HOTKEY_ACTION_NEXT)
		next = sfx_style_step(current, count, +1);
	else if (action == SFX_HOTKEY_ACTION_PREVIOUS)
		next = sfx_style_step(current, count, -1);
	else if (style >= 0 && (size_t)style < count)
		next = style;
	/* Also stored here so quick repeated presses step from the newest index. */
	f->applied.style_index = next;
	sfx_mutex_unlock(f->config_mutex);

	if (action == SFX_HOTKEY_ACTION_SELECT && next != style) {
		obs_log(LOG_INFO, "'%s': hotkey for style %d ignored: the filter has %zu styles",
			obs_source_get_name(f->self), style + 1, count);
		return;
	}
	write_back_int(f, SFX_SETTING_STYLE_INDEX, next);
}

/* ---- Stats and status ----------------------------------------------------------------------- */

static void read_counters(struct diffusion_filter *f, struct sfx_status_counters *c)
{
	c->latency_ms = (double)atomic_load(&f->latency_ns_last) / 1e6;
	c->latency_frames = atomic_load(&f->latency_frames_last);
	c->frames_dropped = atomic_load(&f->frames_dropped);
	c->frames_received = atomic_load(&f->frames_received);
	c->bypass = atomic_load(&f->bypass);
	c->active = atomic_load(&f->active);
}

static void format_status(struct diffusion_filter *f, struct dstr *out, char *host_status, size_t host_status_cap)
{
	struct sfx_status_counters c;
	read_counters(f, &c);
	if (!f->link) {
		sfx_status_line_format(out, NULL, &c);
		if (host_status_cap)
			host_status[0] = '\0';
		return;
	}
	struct sfx_host_status status;
	sfx_host_link_get_status(f->link, &status);
	sfx_status_line_format(out, &status, &c);
	if (host_status_cap)
		snprintf(host_status, host_status_cap, "%s", status.host_status_json);
}

static void filter_get_stats(void *data, calldata_t *cd)
{
	struct diffusion_filter *f = data;
	struct sfx_host_status status;
	memset(&status, 0, sizeof(status));
	if (f->link)
		sfx_host_link_get_status(f->link, &status);
	else
		status.state = SFX_LINK_FAILED;

	uint64_t count = atomic_load(&f->latency_count);
	double avg_ms = count ? (double)atomic_load(&f->latency_ns_sum) / (double)count / 1e6 : 0.0;
	double avg_frames = count ? (double)atomic_load(&f->latency_frames_sum) / (double)count : 0.0;
	sfx_mutex_lock(f->config_mutex);
	long long configures = (long long)f->configures_sent;
	sfx_mutex_unlock(f->config_mutex);

	calldata_set_int(cd, "host_pid", status.host_pid);
	calldata_set_int(cd, "link_state", (long long)status.state);
	calldata_set_int(cd, "restarts", status.restarts);
	calldata_set_int(cd, "frames_staged", (long long)atomic_load(&f->frames_staged));
	calldata_set_int(cd, "frames_published", (long long)atomic_load(&f->frames_published));
	calldata_set_int(cd, "frames_sent", (long long)sfx_host_link_published_count(f->link));
	calldata_set_int(cd, "frames_dropped", (long long)atomic_load(&f->frames_dropped));
	calldata_set_int(cd, "frames_received", (long long)atomic_load(&f->frames_received));
	calldata_set_int(cd, "frames_drawn", (long long)atomic_load(&f->frames_drawn));
	calldata_set_float(cd, "latency_ms", (double)atomic_load(&f->latency_ns_last) / 1e6);
	calldata_set_int(cd, "latency_frames", (long long)atomic_load(&f->latency_frames_last));
	calldata_set_float(cd, "latency_ms_avg", avg_ms);
	calldata_set_float(cd, "latency_frames_avg", avg_frames);
	calldata_set_int(cd, "input_width", atomic_load(&f->input_width));
	calldata_set_int(cd, "input_height", atomic_load(&f->input_height));
	calldata_set_int(cd, "output_width", atomic_load(&f->output_width));
	calldata_set_int(cd, "output_height", atomic_load(&f->output_height));
	calldata_set_int(cd, "active", atomic_load(&f->active) ? 1 : 0);
	calldata_set_int(cd, "status_refreshes", (long long)atomic_load(&f->status_refreshes));
	calldata_set_int(cd, "configures_sent", configures);
}

static void filter_get_config(void *data, calldata_t *cd)
{
	struct diffusion_filter *f = data;
	sfx_mutex_lock(f->config_mutex);
	calldata_set_string(cd, "json", f->config_json ? f->config_json : "");
	sfx_mutex_unlock(f->config_mutex);
}

static void filter_get_status(void *data, calldata_t *cd)
{
	struct diffusion_filter *f = data;
	struct dstr text = {0};
	char host_status[sizeof(((struct sfx_host_status *)0)->host_status_json)];
	format_status(f, &text, host_status, sizeof(host_status));
	calldata_set_string(cd, "text", text.array ? text.array : "");
	calldata_set_string(cd, "host_status", host_status);
	dstr_free(&text);
}

/* ---- Lifetime ------------------------------------------------------------------------------- */

static void load_effect(struct diffusion_filter *f)
{
	char *path = obs_module_file("effects/frame-composite.effect");
	char *errors = NULL;
	obs_enter_graphics();
	f->effect = path ? gs_effect_create_from_file(path, &errors) : NULL;
	obs_leave_graphics();
	if (!f->effect)
		obs_log(LOG_ERROR, "'%s': could not load %s (%s): the output ignores the source's alpha",
			obs_source_get_name(f->self), path ? path : "effects/frame-composite.effect",
			errors ? errors : "file missing");
	bfree(errors);
	bfree(path);
}

static void *filter_create(obs_data_t *settings, obs_source_t *source)
{
	struct diffusion_filter *f = bzalloc(sizeof(*f));
	f->self = source;
	f->config_mutex = sfx_mutex_create();
	f->status_scratch = bzalloc(sizeof(*f->status_scratch));
	frame_readback_init(&f->readback);
	frame_output_init(&f->output);
	atomic_store(&f->source_alpha, true);
	load_effect(f);
	/* Shown until the first ticks prove otherwise: the host loads its model right away. */
	atomic_store(&f->active, true);

	f->default_model_dir = sfx_plugin_config_default_model_dir();
	char *host_path = sfx_plugin_config_host_path();
	if (host_path) {
		struct sfx_host_link_config config = {
		    .host_path = host_path,
		    .max_width = LINK_MAX_SIZE,
		    .max_height = LINK_MAX_SIZE,
		    .log = sfx_obs_log_link,
		    .log_ctx = NULL,
		};
		f->link = sfx_host_link_create(&config);
		bfree(host_path);
	}
	if (!f->link)
		obs_log(LOG_WARNING, "filter '%s' shows its input unchanged: no effects host",
			obs_source_get_name(source));

	proc_handler_t *ph = obs_source_get_proc_handler(source);
	proc_handler_add(
	    ph,
	    "void get_stats(out int host_pid, out int link_state, out int restarts, "
	    "out int frames_staged, out int frames_published, out int frames_sent, out int frames_dropped, "
	    "out int frames_received, out int frames_drawn, out float latency_ms, "
	    "out int latency_frames, out float latency_ms_avg, out float latency_frames_avg, "
	    "out int input_width, out int input_height, out int output_width, out int output_height, "
	    "out int active, out int status_refreshes, out int configures_sent)",
	    filter_get_stats, f);
	proc_handler_add(ph, "void get_config(out string json)", filter_get_config, f);
	proc_handler_add(ph, "void get_status(out string text, out string host_status)", filter_get_status, f);

	sfx_filter_hotkeys_init(&f->hotkeys, on_hotkey_action, f);
	filter_update(f, settings);
	return f;
}

static void filter_destroy(void *data)
{
	struct diffusion_filter *f = data;
	sfx_filter_hotkeys_free(&f->hotkeys);
	obs_enter_graphics();
	frame_readback_free(&f->readback);
	frame_output_free(&f->output);
	gs_effect_destroy(f->effect);
	obs_leave_graphics();
	/* Returns at once; the link's worker stops and reaps the host. */
	sfx_host_link_destroy(f->link);
	sfx_filter_settings_free(&f->applied);
	bfree(f->config_json);
	dstr_free(&f->status_shown);
	bfree(f->status_scratch);
	sfx_mutex_destroy(f->config_mutex);
	bfree(f->default_model_dir);
	bfree(f);
}

static void filter_remove(void *data, obs_source_t *parent)
{
	struct diffusion_filter *f = data;
	(void)parent;
	sfx_filter_hotkeys_unregister(&f->hotkeys);
}

static void filter_defaults(obs_data_t *settings)
{
	sfx_filter_settings_defaults(settings);
	obs_data_set_default_bool(settings, SFX_SETTING_SHOW_ADVANCED, false);
}

static obs_properties_t *filter_properties(void *data)
{
	struct diffusion_filter *f = data;
	if (!f)
		return sfx_filter_properties_create(NULL, NULL);
	struct dstr text = {0};
	format_status(f, &text, NULL, 0);
	obs_properties_t *props = sfx_filter_properties_create(f->self, text.array);
	dstr_free(&text);
	return props;
}

/* ---- Per frame ------------------------------------------------------------------------------ */

/* The source's program visibility changed: the host hears it (it may idle), frames stop/start. */
static void update_activity(struct diffusion_filter *f)
{
	bool active = f->tick - f->last_active_render_tick <= INACTIVE_AFTER_TICKS;
	if (active == atomic_load(&f->active))
		return;
	/* update or a hotkey holds the lock for a moment (no I/O): try again on the next tick. */
	if (!sfx_mutex_trylock(f->config_mutex))
		return;
	atomic_store(&f->active, active);
	send_configuration_locked(f, active);
	sfx_mutex_unlock(f->config_mutex);
	obs_log(LOG_INFO, "'%s': source %s", obs_source_get_name(f->self),
		active ? "shown: effect running" : "hidden: no readback, host idle");
}

/* Once a second: when the status changed in kind (state, error, provider, model, restarts, bypass,
 * shown/hidden, slow) or a model download moved (model-downloads.h), ask open properties views to
 * reload. libobs 29 cannot update one label: a reload rebuilds every widget and closes an open
 * drop-down, so fps and latency alone never cause one (the panel shows them as of its last build),
 * and none comes while the streamer is editing. The link's status is only try-locked: busy means
 * next second. */
static void refresh_status(struct diffusion_filter *f)
{
	uint64_t now = os_gettime_ns();
	if (now - f->last_status_ns < STATUS_REFRESH_NS)
		return;
	f->last_status_ns = now;
	if (now - atomic_load(&f->last_settings_change_ns) < EDIT_QUIET_NS)
		return;
	if (f->link && !sfx_host_link_try_get_status(f->link, f->status_scratch))
		return;
	struct sfx_status_counters c;
	read_counters(f, &c);
	struct dstr key = {0};
	sfx_status_line_key(&key, f->link ? f->status_scratch : NULL, &c);
	/* Model downloads (the Models group) count too: a state change or a whole-percent step. */
	uint64_t downloads = sfx_model_downloads_generation();
	if (!f->status_shown.array || dstr_cmp(&f->status_shown, key.array ? key.array : "") != 0 ||
	    downloads != f->downloads_shown) {
		f->downloads_shown = downloads;
		dstr_free(&f->status_shown);
		f->status_shown = key;
		atomic_fetch_add(&f->status_refreshes, 1);
		obs_source_update_properties(f->self);
	} else {
		dstr_free(&key);
	}
}

static void filter_video_tick(void *data, float seconds)
{
	struct diffusion_filter *f = data;
	(void)seconds;
	f->processed_this_frame = false;
	f->tick++;
	/* No "filter added" callback in libobs 29: the hotkeys follow the parent from here. */
	sfx_filter_hotkeys_attach(&f->hotkeys, obs_filter_get_parent(f->self), f->self);
	update_activity(f);
	refresh_status(f);
}

static void remember_sequence(struct diffusion_filter *f, uint32_t sequence, uint64_t frame)
{
	struct sequence_frame *e = &f->sequence_map[sequence % SEQUENCE_MAP_SIZE];
	e->sequence = sequence;
	e->frame = frame;
}

static void record_latency(struct diffusion_filter *f, const struct frame_output *out)
{
	uint64_t now = os_gettime_ns();
	uint64_t latency_ns = now > out->capture_time_ns ? now - out->capture_time_ns : 0;
	const struct sequence_frame *e = &f->sequence_map[out->source_sequence % SEQUENCE_MAP_SIZE];
	/* A sequence that fell out of the map is older than SEQUENCE_MAP_SIZE frames. */
	uint64_t latency_frames =
	    e->sequence == out->source_sequence ? f->readback.frame - e->frame : SEQUENCE_MAP_SIZE;
	atomic_store(&f->latency_ns_last, latency_ns);
	atomic_store(&f->latency_frames_last, latency_frames);
	atomic_fetch_add(&f->latency_ns_sum, latency_ns);
	atomic_fetch_add(&f->latency_frames_sum, latency_frames);
	atomic_fetch_add(&f->latency_count, 1);
}

static void publish_counters(struct diffusion_filter *f)
{
	atomic_store(&f->frames_staged, f->readback.frames_staged);
	atomic_store(&f->frames_published, f->readback.frames_published);
	atomic_store(&f->frames_dropped, f->readback.frames_dropped);
	atomic_store(&f->frames_received, f->output.frames_received);
	atomic_store(&f->output_width, f->output.width);
	atomic_store(&f->output_height, f->output.height);
}

/* Capture -> exchange: copies the newest ready capture into the link's input slot and publishes it.
 * The link drops a frame (and returns the previous sequence) when its session ended or its worker
 * held the lock: only a grown publish count means this frame went out. */
static void send_newest_capture(struct diffusion_filter *f)
{
	struct frame_readback_mapped m;
	if (!frame_readback_map_newest(&f->readback, &m))
		return;
	size_t capacity = 0;
	uint8_t *slot = sfx_host_link_input_begin(f->link, &capacity);
	const size_t row_bytes = (size_t)m.width * 4;
	bool sent = false;
	if (slot && row_bytes * m.height <= capacity) {
		/* Row by row: the driver may pad rows, the slot does not. */
		for (uint32_t y = 0; y < m.height; y++)
			memcpy(slot + y * row_bytes, m.data + (size_t)y * m.linesize, row_bytes);
		const uint64_t before = sfx_host_link_published_count(f->link);
		uint32_t sequence = sfx_host_link_input_publish(f->link, m.width, m.height, (uint32_t)row_bytes,
								SFX_PIXEL_BGRA8, m.capture_time_ns);
		sent = sfx_host_link_published_count(f->link) != before;
		if (sent)
			remember_sequence(f, sequence, m.staged_frame);
	} else if (slot) {
		obs_log(LOG_ERROR, "input slot holds %zu bytes, frame needs %zu (%ux%u)", capacity,
			row_bytes * m.height, m.width, m.height);
	}
	frame_readback_unmap(&f->readback, sent);
}

/* Once per frame: send the previous capture, capture this one, take the host's newest output. The
 * filter alone wires capture (frame-readback) to exchange (host-link) to output (frame-output). */
static void process_frame(struct diffusion_filter *f, obs_source_t *parent, uint32_t cx, uint32_t cy)
{
	if (!sfx_host_link_is_live(f->link)) {
		/* Not connected (starting, restarting, failed): passthrough until frames flow again. */
		frame_readback_discard(&f->readback);
		frame_output_reset(&f->output);
		return;
	}
	if (!obs_source_active(parent)) {
		/* Hidden from the program (preview only): no readback, no cost, host idle. */
		frame_readback_discard(&f->readback);
		frame_output_reset(&f->output);
		return;
	}

	frame_readback_begin_frame(&f->readback);
	send_newest_capture(f);

	uint32_t width, height;
	sfx_capture_size(cx, cy, atomic_load(&f->resolution), (enum sfx_fit_mode)atomic_load(&f->fit_mode),
			 LINK_MAX_SIZE, &width, &height);
	if (frame_readback_capture(&f->readback, f->self, width, height)) {
		atomic_store(&f->input_width, width);
		atomic_store(&f->input_height, height);
	}

	struct sfx_frame_view view;
	if (sfx_host_link_output_take(f->link, &view) && frame_output_update(&f->output, &view))
		record_latency(f, &f->output);

	publish_counters(f);
}

static void filter_video_render(void *data, gs_effect_t *effect)
{
	struct diffusion_filter *f = data;
	(void)effect;
	obs_source_t *target = obs_filter_get_target(f->self);
	obs_source_t *parent = obs_filter_get_parent(f->self);
	uint32_t cx = target ? obs_source_get_base_width(target) : 0;
	uint32_t cy = target ? obs_source_get_base_height(target) : 0;

	if (parent && obs_source_active(parent))
		f->last_active_render_tick = f->tick;

	if (!f->link || !parent || !cx || !cy || atomic_load(&f->bypass)) {
		frame_readback_discard(&f->readback);
		frame_output_reset(&f->output);
		obs_source_skip_video_filter(f->self);
		return;
	}

	if (!f->processed_this_frame) {
		f->processed_this_frame = true;
		process_frame(f, parent, cx, cy);
	}

	bool host_frame = f->output.has_frame;
	gs_texture_t *alpha = atomic_load(&f->source_alpha) ? frame_readback_current_texture(&f->readback) : NULL;
	frame_output_draw(&f->output, f->self, f->effect, alpha, cx, cy);
	if (host_frame)
		atomic_fetch_add(&f->frames_drawn, 1);
}

/* What video_render draws: the host's 8-bit sRGB picture, or the target itself while passing
 * through (libobs converts either to the space it asked for). */
static enum gs_color_space filter_get_color_space(void *data, size_t count, const enum gs_color_space *preferred)
{
	struct diffusion_filter *f = data;
	(void)count;
	(void)preferred;
	if (f->output.has_frame && !atomic_load(&f->bypass))
		return GS_CS_SRGB;
	return frame_readback_target_space(f->self);
}

struct obs_source_info sfx_diffusion_filter_info = {
    .id = SFX_DIFFUSION_FILTER_ID,
    .type = OBS_SOURCE_TYPE_FILTER,
    .output_flags = OBS_SOURCE_VIDEO,
    .get_name = filter_get_name,
    .create = filter_create,
    .destroy = filter_destroy,
    .update = filter_update,
    .get_defaults = filter_defaults,
    .get_properties = filter_properties,
    .video_tick = filter_video_tick,
    .video_render = filter_video_render,
    .video_get_color_space = filter_get_color_space,
    .filter_remove = filter_remove,
};
