#include "diffusion-filter.h"

#include <stdatomic.h>
#include <string.h>

#include <util/dstr.h>
#include <util/platform.h>

#include "bridge/host-link.h"
#include "filter-settings.h"
#include "frame-output.h"
#include "frame-readback.h"
#include "plugin-config.h"
#include "plugin-log.h"

/* Largest frame the link carries in either direction; resolution is capped to it. */
#define LINK_MAX_SIZE SFX_RESOLUTION_MAX

/* Maps an input sequence back to the render frame it was captured on (latency in frames). */
#define SEQUENCE_MAP_SIZE 64

struct sequence_frame {
	uint32_t sequence;
	uint64_t frame;
};

struct diffusion_filter {
	obs_source_t *self;
	struct sfx_host_link *link; /* NULL when the host could not be found */
	char *default_model_dir;    /* the plugin's model pack, NULL if none */

	/* Written by update (UI thread), read by video_render. */
	atomic_uint resolution;
	atomic_bool bypass;
	struct sfx_filter_settings applied; /* update only */
	bool configured;                    /* update only */

	/* Graphics thread only. */
	struct frame_readback readback;
	struct frame_output output;
	bool processed_this_frame; /* video_render can run several times per frame (several views) */
	struct sequence_frame sequence_map[SEQUENCE_MAP_SIZE];

	/* Written on the graphics thread, read by get_stats from any thread. */
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
};

static const char *filter_get_name(void *type_data)
{
	(void)type_data;
	return obs_module_text("StreamFx.DiffusionFilter");
}

static void send_configuration(struct diffusion_filter *f, const struct sfx_filter_settings *s)
{
	if (!f->link)
		return;
	char *json = sfx_filter_settings_to_json(s, f->default_model_dir);
	sfx_host_link_configure(f->link, json);
	bfree(json);
}

static void filter_update(void *data, obs_data_t *settings)
{
	struct diffusion_filter *f = data;
	/* Large (it holds a path): keep it off the UI thread's stack. */
	struct sfx_filter_settings *s = bmalloc(sizeof(*s));
	sfx_filter_settings_read(s, settings);

	atomic_store(&f->resolution, s->resolution);
	atomic_store(&f->bypass, s->bypass);

	if (!f->configured || !sfx_filter_settings_equal(s, &f->applied)) {
		send_configuration(f, s);
		f->applied = *s;
		f->configured = true;
	}
	bfree(s);
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

	calldata_set_int(cd, "host_pid", status.host_pid);
	calldata_set_int(cd, "link_state", (long long)status.state);
	calldata_set_int(cd, "restarts", status.restarts);
	calldata_set_int(cd, "frames_staged", (long long)atomic_load(&f->frames_staged));
	calldata_set_int(cd, "frames_published", (long long)atomic_load(&f->frames_published));
	calldata_set_int(cd, "frames_dropped", (long long)atomic_load(&f->frames_dropped));
	calldata_set_int(cd, "frames_received", (long long)atomic_load(&f->frames_received));
	calldata_set_int(cd, "frames_drawn", (long long)atomic_load(&f->frames_drawn));
	calldata_set_float(cd, "latency_ms", (double)atomic_load(&f->latency_ns_last) / 1e6);
	calldata_set_int(cd, "latency_frames", (long long)atomic_load(&f->latency_frames_last));
	calldata_set_float(cd, "latency_ms_avg", avg_ms);
	calldata_set_float(cd, "latency_frames_avg", avg_frames);
}

static void *filter_create(obs_data_t *settings, obs_source_t *source)
{
	struct diffusion_filter *f = bzalloc(sizeof(*f));
	f->self = source;
	frame_readback_init(&f->readback);
	frame_output_init(&f->output);

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
	proc_handler_add(ph,
			 "void get_stats(out int host_pid, out int link_state, out int restarts, "
			 "out int frames_staged, out int frames_published, out int frames_dropped, "
			 "out int frames_received, out int frames_drawn, out float latency_ms, "
			 "out int latency_frames, out float latency_ms_avg, out float latency_frames_avg)",
			 filter_get_stats, f);

	filter_update(f, settings);
	return f;
}

static void filter_destroy(void *data)
{
	struct diffusion_filter *f = data;
	obs_enter_graphics();
	frame_readback_free(&f->readback);
	frame_output_free(&f->output);
	obs_leave_graphics();
	/* Returns at once; the link's worker stops and reaps the host. */
	sfx_host_link_destroy(f->link);
	bfree(f->default_model_dir);
	bfree(f);
}

static void filter_defaults(obs_data_t *settings)
{
	sfx_filter_settings_defaults(settings);
}

static const char *link_state_text(enum sfx_link_state state)
{
	switch (state) {
	case SFX_LINK_STOPPED:
		return obs_module_text("StreamFx.Status.Stopped");
	case SFX_LINK_STARTING:
		return obs_module_text("StreamFx.Status.Starting");
	case SFX_LINK_CONNECTED:
		return obs_module_text("StreamFx.Status.Connected");
	case SFX_LINK_RESTARTING:
		return obs_module_text("StreamFx.Status.Restarting");
	case SFX_LINK_FAILED:
		return obs_module_text("StreamFx.Status.Failed");
	}
	return "";
}

static obs_properties_t *filter_properties(void *data)
{
	struct diffusion_filter *f = data;
	obs_properties_t *props = obs_properties_create();

	if (f) {
		/* A status line, read once when the panel opens. */
		struct dstr text = {0};
		if (f->link) {
			struct sfx_host_status status;
			sfx_host_link_get_status(f->link, &status);
			dstr_copy(&text, link_state_text(status.state));
			dstr_replace(&text, "%1", status.last_error);
		} else {
			dstr_copy(&text, obs_module_text("StreamFx.Status.NoHost"));
			dstr_replace(&text, "%1", "see the OBS log");
		}
		obs_properties_add_text(props, "status", text.array, OBS_TEXT_INFO);
		dstr_free(&text);
	}

	sfx_filter_settings_add_properties(props);
	return props;
}

static void filter_video_tick(void *data, float seconds)
{
	struct diffusion_filter *f = data;
	(void)seconds;
	f->processed_this_frame = false;
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
}

/* Once per frame: send the previous capture, capture this one, take the host's newest output. */
static void process_frame(struct diffusion_filter *f, obs_source_t *parent)
{
	size_t capacity = 0;
	if (!sfx_host_link_input_begin(f->link, &capacity)) {
		/* Not connected (starting, restarting, failed): passthrough until frames flow again. */
		frame_readback_discard(&f->readback);
		frame_output_reset(&f->output);
		return;
	}
	if (!obs_source_active(parent)) {
		/* Hidden from the program: no readback, no cost. */
		frame_readback_discard(&f->readback);
		frame_output_reset(&f->output);
		return;
	}

	frame_readback_begin_frame(&f->readback);
	if (frame_readback_publish(&f->readback, f->link))
		remember_sequence(f, f->readback.last_sequence, f->readback.last_published_frame);

	uint32_t size = atomic_load(&f->resolution);
	frame_readback_capture(&f->readback, f->self, size, size);

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

	if (!f->link || !parent || !cx || !cy || atomic_load(&f->bypass)) {
		frame_readback_discard(&f->readback);
		frame_output_reset(&f->output);
		obs_source_skip_video_filter(f->self);
		return;
	}

	if (!f->processed_this_frame) {
		f->processed_this_frame = true;
		process_frame(f, parent);
	}

	bool host_frame = f->output.has_frame;
	frame_output_draw(&f->output, f->self, cx, cy);
	if (host_frame)
		atomic_fetch_add(&f->frames_drawn, 1);
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
};
