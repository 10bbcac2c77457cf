/*
 * sfx-bench-obs: what the streamfx filter costs OBS's graphics thread, in real headless libobs,
 * and how many frames behind its input the shown output is.
 *
 *   sfx-bench-obs --module <streamfx-obs.so> --data <dir> --out DIR --name NAME
 *                 [--config no-filter|filter] [--host <path>|none] [--model-dir DIR]
 *                 [--size WxH] [--fps F] [--resolution R] [--frames N] [--warmup N]
 *                 [--shown-frames yes|no]
 *
 * Timing from outside the filter: this program defines obs_register_source_s, so when the module
 * registers its filter (and this program its marker source) the info passes through here and
 * video_render/video_tick are swapped for wrappers that time the original callbacks on the
 * graphics thread; the real registration is then called (dlsym RTLD_NEXT). The filter renders its
 * target (the marker source) inside its video_render; that nested time is measured too, so the
 * filter's own cost is total minus nested source render.
 *
 * Recording starts once the link delivers frames (or after the warm-up without a host) and covers
 * --frames frames. The whole graphics-thread frame time comes from libobs' own profiler (the
 * obs_graphics_thread root), taken as the difference of two snapshots around the recording.
 * The graphics calls the filter makes (texrender, stage, map, upload, draw) are interposed the same
 * way and summed per frame, for a breakdown of its own time.
 * Output: DIR/NAME-{filter-render,filter-self,filter-tick,source-render,graphics-frame}.ns,
 * DIR/NAME-part-<call>.ns and, with --shown-frames yes (default), DIR/NAME-lag.frames (per shown
 * frame: input frame number now minus the input frame number shown).
 *
 * Over 600 lines on purpose: one benchmark program whose interposed callbacks and recording share
 * its state; it is not part of the plugin.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <X11/Xlib.h>
#include <obs.h>
#include <util/platform.h>
#include <util/profiler.h>
#include <util/threading.h>

#include "bench-samples.h"
#include "marker-source.h"
#include "obs-headless.h"
#include "test-pattern.h"

#define FILTER_ID "streamfx_diffusion_filter"

/* Graphics calls the filter makes, timed while inside its video_render (not the nested source). */
enum part { PART_TEXRENDER, PART_STAGE, PART_MAP, PART_COPY, PART_UPLOAD, PART_DRAW, PART_COUNT };
static const char *const part_names[PART_COUNT] = {"texrender", "stage", "map", "copy", "upload", "draw"};
#define LAG_UNKNOWN 0xFFFFu

struct options {
	const char *module_path, *data_path, *out_dir, *name, *host_path, *model_dir;
	bool with_filter;
	bool shown_frames;
	uint32_t width, height, fps, resolution, frames, warmup;
};

/* Graphics-thread state unless noted. */
struct bench {
	struct options opt;
	_Atomic(obs_source_t *) filter;
	obs_source_t *source;
	uint64_t ticks;        /* marker ticks = frames since start */
	uint64_t gate_ticks;   /* ticks when the host's first frame was seen (0: not yet) */
	atomic_bool recording; /* read by the video output thread too */
	uint64_t recorded;     /* frames recorded so far */
	uint64_t nested_ns;    /* marker source render time, summed */
	bool in_filter_render; /* the marker render is nested in the filter's */
	bool in_marker_render;
	uint64_t part_ns[PART_COUNT]; /* this filter render's time inside each graphics call kind */
	uint64_t map_started;
	struct sample_series parts[PART_COUNT];
	struct sample_series filter_render, filter_self, filter_tick, source_render;
	struct sample_series lag;                              /* video output thread */
	uint64_t shown_host, shown_passthrough, shown_unknown; /* video output thread */
	os_event_t *gate, *done;
};

static struct bench g;

/* ---- Interposed registration and timing wrappers --------------------------------------------- */

static struct obs_source_info g_filter_info, g_marker_info;
static void (*g_filter_render)(void *, gs_effect_t *);
static void (*g_filter_tick)(void *, float);
static void (*g_marker_render)(void *, gs_effect_t *);
static void (*g_marker_tick)(void *, float);

static long long filter_frames_received(obs_source_t *filter)
{
	calldata_t cd = {0};
	long long n = 0;
	if (proc_handler_call(obs_source_get_proc_handler(filter), "get_stats", &cd))
		n = calldata_int(&cd, "frames_received");
	calldata_free(&cd);
	return n;
}

static void timed_filter_render(void *data, gs_effect_t *effect)
{
	uint64_t nested0 = g.nested_ns;
	memset(g.part_ns, 0, sizeof(g.part_ns));
	g.in_filter_render = true;
	uint64_t t0 = os_gettime_ns();
	g_filter_render(data, effect);
	uint64_t t1 = os_gettime_ns();
	g.in_filter_render = false;
	if (atomic_load(&g.recording)) {
		series_push(&g.filter_render, t1 - t0);
		series_push(&g.filter_self, (t1 - t0) - (g.nested_ns - nested0));
		for (int i = 0; i < PART_COUNT; i++)
			series_push(&g.parts[i], g.part_ns[i]);
	}
}

/* ---- Graphics calls of the filter, interposed like the registration ------------------------- */

static bool in_filter_itself(void)
{
	return g.in_filter_render && !g.in_marker_render;
}

static void *next_symbol(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (!f) {
		fprintf(stderr, "bench: cannot find libobs' %s: %s\n", name, dlerror());
		abort();
	}
	return f;
}

/* The real libobs function `name`, looked up once (same prototype as ours). */
#define NEXT(name)                                                                                                     \
	static __typeof__(&name) real_##name;                                                                          \
	if (!real_##name)                                                                                              \
	real_##name = (__typeof__(&name))next_symbol(#name)

bool gs_texrender_begin(gs_texrender_t *texrender, uint32_t cx, uint32_t cy)
{
	NEXT(gs_texrender_begin);
	uint64_t t0 = os_gettime_ns();
	bool r = real_gs_texrender_begin(texrender, cx, cy);
	if (in_filter_itself())
		g.part_ns[PART_TEXRENDER] += os_gettime_ns() - t0;
	return r;
}

void gs_texrender_end(gs_texrender_t *texrender)
{
	NEXT(gs_texrender_end);
	uint64_t t0 = os_gettime_ns();
	real_gs_texrender_end(texrender);
	if (in_filter_itself())
		g.part_ns[PART_TEXRENDER] += os_gettime_ns() - t0;
}

void gs_stage_texture(gs_stagesurf_t *dst, gs_texture_t *src)
{
	NEXT(gs_stage_texture);
	uint64_t t0 = os_gettime_ns();
	real_gs_stage_texture(dst, src);
	if (in_filter_itself())
		g.part_ns[PART_STAGE] += os_gettime_ns() - t0;
}

bool gs_stagesurface_map(gs_stagesurf_t *stagesurf, uint8_t **data, uint32_t *linesize)
{
	NEXT(gs_stagesurface_map);
	uint64_t t0 = os_gettime_ns();
	bool r = real_gs_stagesurface_map(stagesurf, data, linesize);
	uint64_t t1 = os_gettime_ns();
	if (in_filter_itself()) {
		g.part_ns[PART_MAP] += t1 - t0;
		g.map_started = t1;
	}
	return r;
}

/* Map to unmap is where the filter copies the frame into the input slot. */
void gs_stagesurface_unmap(gs_stagesurf_t *stagesurf)
{
	NEXT(gs_stagesurface_unmap);
	uint64_t t0 = os_gettime_ns();
	real_gs_stagesurface_unmap(stagesurf);
	if (in_filter_itself() && g.map_started) {
		g.part_ns[PART_COPY] += t0 - g.map_started;
		g.part_ns[PART_MAP] += os_gettime_ns() - t0;
		g.map_started = 0;
	}
}

void gs_texture_set_image(gs_texture_t *tex, const uint8_t *data, uint32_t linesize, bool invert)
{
	NEXT(gs_texture_set_image);
	uint64_t t0 = os_gettime_ns();
	real_gs_texture_set_image(tex, data, linesize, invert);
	if (in_filter_itself())
		g.part_ns[PART_UPLOAD] += os_gettime_ns() - t0;
}

void gs_draw_sprite(gs_texture_t *tex, uint32_t flip, uint32_t width, uint32_t height)
{
	NEXT(gs_draw_sprite);
	uint64_t t0 = os_gettime_ns();
	real_gs_draw_sprite(tex, flip, width, height);
	if (in_filter_itself())
		g.part_ns[PART_DRAW] += os_gettime_ns() - t0;
}

static void timed_filter_tick(void *data, float seconds)
{
	uint64_t t0 = os_gettime_ns();
	g_filter_tick(data, seconds);
	uint64_t t1 = os_gettime_ns();
	if (atomic_load(&g.recording))
		series_push(&g.filter_tick, t1 - t0);
}

static void timed_marker_render(void *data, gs_effect_t *effect)
{
	g.in_marker_render = true;
	uint64_t t0 = os_gettime_ns();
	g_marker_render(data, effect);
	uint64_t dt = os_gettime_ns() - t0;
	g.in_marker_render = false;
	if (g.in_filter_render)
		g.nested_ns += dt;
	if (atomic_load(&g.recording))
		series_push(&g.source_render, dt);
}

/* Frame clock of the bench: starts and stops the recording window. */
static void counting_marker_tick(void *data, float seconds)
{
	g_marker_tick(data, seconds);
	g.ticks++;
	if (atomic_load(&g.recording)) {
		if (++g.recorded >= g.opt.frames) {
			atomic_store(&g.recording, false);
			os_event_signal(g.done);
		}
		return;
	}
	if (g.recorded)
		return; /* finished */
	obs_source_t *filter = atomic_load(&g.filter);
	bool needs_host = g.opt.with_filter && g.opt.host_path;
	if (!g.gate_ticks && (!needs_host || (filter && filter_frames_received(filter) > 0)))
		g.gate_ticks = g.ticks;
	/* Warm-up after the first host frame (or after start): caches, textures, the host's JIT-free
	 * steady state. */
	if (g.gate_ticks && g.ticks - g.gate_ticks >= g.opt.warmup) {
		atomic_store(&g.recording, true);
		os_event_signal(g.gate);
	}
}

typedef void (*register_source_fn)(const struct obs_source_info *info, size_t size);

/* Every source registration passes here (the module's and the harness's); see the file comment. */
void obs_register_source_s(const struct obs_source_info *info, size_t size)
{
	static register_source_fn real;
	if (!real)
		real = (register_source_fn)dlsym(RTLD_NEXT, "obs_register_source_s");
	if (!real) {
		fprintf(stderr, "bench: cannot find libobs' obs_register_source_s: %s\n", dlerror());
		abort();
	}
	size_t n = size < sizeof(struct obs_source_info) ? size : sizeof(struct obs_source_info);
	if (info && info->id && strcmp(info->id, FILTER_ID) == 0 && info->video_render && info->video_tick) {
		memcpy(&g_filter_info, info, n);
		g_filter_render = info->video_render;
		g_filter_tick = info->video_tick;
		g_filter_info.video_render = timed_filter_render;
		g_filter_info.video_tick = timed_filter_tick;
		info = &g_filter_info;
	} else if (info && info->id && strcmp(info->id, MARKER_SOURCE_ID) == 0) {
		memcpy(&g_marker_info, info, n);
		g_marker_render = info->video_render;
		g_marker_tick = info->video_tick;
		g_marker_info.video_render = timed_marker_render;
		g_marker_info.video_tick = counting_marker_tick;
		info = &g_marker_info;
	}
	real(info, size);
}

/* ---- Shown frames (video output thread) ------------------------------------------------------- */

static void on_frame(void *param, struct video_data *frame)
{
	(void)param;
	if (!atomic_load(&g.recording))
		return;
	uint32_t t_shown = 0, t_now = 0;
	enum frame_kind kind = pattern_classify(frame->data[0], frame->linesize[0], &t_shown);
	if (kind == FRAME_UNKNOWN || !marker_source_t_at(g.source, frame->timestamp, &t_now)) {
		g.shown_unknown++;
		return;
	}
	if (kind == FRAME_INVERTED)
		g.shown_host++;
	else
		g.shown_passthrough++;
	series_push(&g.lag, (uint16_t)(t_now - t_shown)); /* the marker carries 16 bits of t */
}

/* ---- libobs profiler: graphics-thread frame times --------------------------------------------- */

#define PROFILE_BINS 4096

struct frame_histogram {
	uint64_t usec[PROFILE_BINS];
	uint64_t count[PROFILE_BINS];
	size_t n;
	bool found;
};

static bool find_graphics_root(void *context, profiler_snapshot_entry_t *entry)
{
	struct frame_histogram *h = context;
	const char *name = profiler_snapshot_entry_name(entry);
	if (!name || strncmp(name, "obs_graphics_thread", 19) != 0)
		return true;
	profiler_time_entries_t *times = profiler_snapshot_entry_times(entry);
	h->found = true;
	for (size_t i = 0; times && i < times->num && h->n < PROFILE_BINS; i++) {
		h->usec[h->n] = times->array[i].time_delta;
		h->count[h->n] = times->array[i].count;
		h->n++;
	}
	return false;
}

static void snapshot_frames(struct frame_histogram *h)
{
	memset(h, 0, sizeof(*h));
	profiler_snapshot_t *snap = profile_snapshot_create();
	if (!snap)
		return;
	profiler_snapshot_enumerate_roots(snap, find_graphics_root, h);
	profile_snapshot_free(snap);
}

/* after - before, expanded into one sample per frame (the profiler keeps microsecond bins). */
static void frames_between(const struct frame_histogram *before, const struct frame_histogram *after,
			   struct sample_series *out)
{
	for (size_t i = 0; i < after->n; i++) {
		uint64_t c = after->count[i];
		for (size_t j = 0; j < before->n; j++)
			if (before->usec[j] == after->usec[i])
				c -= before->count[j] <= c ? before->count[j] : c;
		for (uint64_t k = 0; k < c; k++)
			series_push(out, after->usec[i] * 1000);
	}
}

/* ---- Setup ------------------------------------------------------------------------------------ */

static bool start_obs(const struct options *o, Display **display)
{
	struct obs_headless_video video = {.width = o->width, .height = o->height, .fps = o->fps};
	char err[512];
	if (!obs_headless_start(&video, display, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return false;
	}
	return true;
}

static bool load_module(const struct options *o)
{
	char err[512];
	if (!obs_headless_load_module(o->module_path, o->data_path, err, sizeof(err))) {
		fprintf(stderr, "bench: %s\n", err);
		return false;
	}
	if (!g_filter_render) {
		fprintf(stderr, "bench: the module did not register '%s' through obs_register_source_s\n", FILTER_ID);
		return false;
	}
	return true;
}

static bool parse_uint(const char *name, const char *text, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno || !end || *end || text[0] == '-' || v < min || v > max) {
		fprintf(stderr, "bench: %s: expected an integer in %u..%u, found '%s'\n", name, min, max, text);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.with_filter = true,
			      .shown_frames = true,
			      .width = 1920,
			      .height = 1080,
			      .fps = 60,
			      .resolution = 512,
			      .frames = 1200,
			      .warmup = 60};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "bench: %s needs a value\n", a);
			return false;
		}
		i++;
		if (!strcmp(a, "--module"))
			o->module_path = v;
		else if (!strcmp(a, "--data"))
			o->data_path = v;
		else if (!strcmp(a, "--out"))
			o->out_dir = v;
		else if (!strcmp(a, "--name"))
			o->name = v;
		else if (!strcmp(a, "--host"))
			o->host_path = strcmp(v, "none") ? v : NULL;
		else if (!strcmp(a, "--model-dir"))
			o->model_dir = v;
		else if (!strcmp(a, "--shown-frames")) {
			if (strcmp(v, "yes") && strcmp(v, "no")) {
				fprintf(stderr, "bench: --shown-frames: expected yes or no, found '%s'\n", v);
				return false;
			}
			o->shown_frames = !strcmp(v, "yes");
		} else if (!strcmp(a, "--config")) {
			if (strcmp(v, "filter") && strcmp(v, "no-filter")) {
				fprintf(stderr, "bench: --config: expected filter or no-filter, found '%s'\n", v);
				return false;
			}
			o->with_filter = !strcmp(v, "filter");
		} else if (!strcmp(a, "--fps")) {
			if (!parse_uint(a, v, 1, 240, &o->fps))
				return false;
		} else if (!strcmp(a, "--resolution")) {
			if (!parse_uint(a, v, 64, 1024, &o->resolution))
				return false;
		} else if (!strcmp(a, "--frames")) {
			if (!parse_uint(a, v, 1, 1000000, &o->frames))
				return false;
		} else if (!strcmp(a, "--warmup")) {
			if (!parse_uint(a, v, 0, 100000, &o->warmup))
				return false;
		} else if (!strcmp(a, "--size")) {
			unsigned w = 0, h = 0;
			char extra;
			if (sscanf(v, "%ux%u%c", &w, &h, &extra) != 2 || w < 64 || h < 64 || w > 4096 || h > 4096) {
				fprintf(stderr, "bench: --size: expected WxH with 64..4096 each, found '%s'\n", v);
				return false;
			}
			o->width = w;
			o->height = h;
		} else {
			fprintf(stderr, "bench: unknown option '%s'\n", a);
			return false;
		}
	}
	if (!o->module_path || !o->data_path || !o->out_dir || !o->name) {
		fprintf(stderr, "usage: sfx-bench-obs --module <so> --data <dir> --out DIR --name NAME [--config "
				"filter|no-filter] [--host PATH|none] [--model-dir DIR] [--size WxH] [--fps F] "
				"[--resolution R] [--frames N] [--warmup N]\n");
		return false;
	}
	return true;
}

static bool write_all(const struct sample_series *graphics_frames)
{
	const struct {
		const struct sample_series *s;
		const char *suffix;
	} outputs[] = {{&g.filter_render, "filter-render.ns"}, {&g.filter_self, "filter-self.ns"},
		       {&g.filter_tick, "filter-tick.ns"},     {&g.source_render, "source-render.ns"},
		       {graphics_frames, "graphics-frame.ns"}, {&g.lag, "lag.frames"}};
	bool ok = true;
	char name[256];
	for (size_t i = 0; i < sizeof(outputs) / sizeof(outputs[0]); i++) {
		snprintf(name, sizeof(name), "%s-%s", g.opt.name, outputs[i].suffix);
		/* series_write appends ".ns"; the lag file keeps its own extension. */
		char *dot = strrchr(name, '.');
		bool is_ns = strcmp(dot, ".ns") == 0;
		*dot = '\0';
		if (is_ns) {
			series_print(outputs[i].s, name);
			ok = series_write(outputs[i].s, g.opt.out_dir, name) && ok;
		} else {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s.frames", g.opt.out_dir, name);
			FILE *f = fopen(path, "w");
			for (size_t k = 0; f && k < outputs[i].s->count; k++)
				fprintf(f, "%" PRIu64 "\n", outputs[i].s->values[k]);
			if (!f || fclose(f) != 0) {
				fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
				ok = false;
			}
		}
	}
	return ok;
}

int main(int argc, char **argv)
{
	if (!parse_args(argc, argv, &g.opt))
		return 2;
	const struct options *o = &g.opt;
	/* Without a host the filter must find none: a path that does not exist. */
	setenv("STREAMFX_HOST_PATH", o->host_path ? o->host_path : "/nonexistent/streamfx-host", 1);
	size_t cap = (size_t)o->frames + 16;
	struct sample_series graphics_frames;
	if (!series_init(&g.filter_render, cap) || !series_init(&g.filter_self, cap) ||
	    !series_init(&g.filter_tick, cap) || !series_init(&g.source_render, cap * 2) || !series_init(&g.lag, cap) ||
	    !series_init(&graphics_frames, cap * 2))
		return 1;
	for (int i = 0; i < PART_COUNT; i++)
		if (!series_init(&g.parts[i], cap))
			return 1;
	os_event_init(&g.gate, OS_EVENT_TYPE_MANUAL);
	os_event_init(&g.done, OS_EVENT_TYPE_MANUAL);

	profiler_start();
	Display *display = NULL;
	if (!start_obs(o, &display)) {
		if (display)
			XCloseDisplay(display);
		return 2;
	}
	int exit_code = 1;
	marker_source_register();
	if (!load_module(o))
		goto shutdown;

	obs_data_t *src_settings = obs_data_create();
	obs_data_set_int(src_settings, "width", o->width);
	obs_data_set_int(src_settings, "height", o->height);
	g.source = obs_source_create_private(MARKER_SOURCE_ID, "marker", src_settings);
	obs_data_release(src_settings);
	obs_source_t *filter = NULL;
	if (o->with_filter) {
		obs_data_t *fs = obs_data_create();
		obs_data_set_int(fs, "resolution", o->resolution);
		if (o->model_dir)
			obs_data_set_string(fs, "model_dir", o->model_dir);
		filter = obs_source_create_private(FILTER_ID, "diffusion", fs);
		obs_data_release(fs);
	}
	if (!g.source || (o->with_filter && !filter)) {
		fprintf(stderr, "bench: could not create the %s\n", g.source ? "filter" : "marker source");
		goto shutdown;
	}
	if (filter) {
		obs_source_filter_add(g.source, filter);
		atomic_store(&g.filter, filter);
	}
	obs_set_output_source(0, g.source);
	/* Analysing the shown frames makes OBS read every output frame back: optional. */
	if (o->shown_frames)
		obs_add_raw_video_callback(NULL, on_frame, NULL);

	/* Bounded waits: the host's start (the real host loads ONNX Runtime), then the recording. */
	struct frame_histogram *before = calloc(1, sizeof(*before)), *after = calloc(1, sizeof(*after));
	bool gated = before && after && os_event_timedwait(g.gate, 60000) == 0;
	if (gated)
		snapshot_frames(before);
	/* Generous: a loaded machine (software rendering on 2 cores) makes OBS lag far below its fps. */
	unsigned long record_ms = (unsigned long)((uint64_t)o->frames * 1000 / o->fps) * 8 + 30000;
	bool completed = gated && os_event_timedwait(g.done, record_ms) == 0;
	if (completed)
		snapshot_frames(after);
	if (o->shown_frames)
		obs_remove_raw_video_callback(on_frame, NULL);
	uint32_t obs_frames = obs_get_total_frames(), obs_lagged = obs_get_lagged_frames();
	long long received = filter ? filter_frames_received(filter) : 0;

	if (!gated)
		fprintf(stderr, "bench: %s: no %s within 60 s\n", o->name,
			o->host_path ? "frame from the host" : "frames");
	else if (!completed)
		fprintf(stderr, "bench: %s: recording of %u frames did not finish within %lu ms\n", o->name, o->frames,
			record_ms);
	else {
		if (!after->found || !before->found)
			fprintf(stderr, "bench: libobs' profiler has no obs_graphics_thread root; no frame times\n");
		else
			frames_between(before, after, &graphics_frames);
		printf("%s: config=%s host=%s size=%ux%u fps=%u resolution=%u frames=%" PRIu64
		       " host_frames_received=%lld shown_host=%" PRIu64 " shown_passthrough=%" PRIu64
		       " shown_unknown=%" PRIu64 " obs_lagged_frames=%u/%u\n",
		       o->name, o->with_filter ? "filter" : "no-filter", o->host_path ? o->host_path : "none", o->width,
		       o->height, o->fps, o->resolution, g.recorded, received, g.shown_host, g.shown_passthrough,
		       g.shown_unknown, obs_lagged, obs_frames);
		exit_code = write_all(&graphics_frames) ? 0 : 1;
		for (int i = 0; i < PART_COUNT && o->with_filter; i++) {
			char name[256];
			snprintf(name, sizeof(name), "%s-part-%s", o->name, part_names[i]);
			series_print(&g.parts[i], name);
			if (!series_write(&g.parts[i], o->out_dir, name))
				exit_code = 1;
		}
	}
	free(before);
	free(after);

	obs_set_output_source(0, NULL);
	if (filter) {
		obs_source_filter_remove(g.source, filter);
		obs_source_release(filter);
	}
shutdown:
	if (g.source)
		obs_source_release(g.source);
	obs_shutdown();
	profiler_stop();
	profiler_free();
	os_event_destroy(g.gate);
	os_event_destroy(g.done);
	XCloseDisplay(display);
	return exit_code;
}
