/*
 * sfx-obs-harness: runs the streamfx-obs module inside real, headless libobs (OpenGL on an X
 * display, e.g. Xvfb) and checks what the filter renders.
 *
 *   --mode passthrough --frames N   every frame must be the input, exactly: without --host the
 *                                   host is missing; with --host the filter is set to bypass
 *   --mode e2e --frames N --host P  passthrough until the host's first frame (within N frames),
 *                                   then only the host's transform (inverted colours); afterwards
 *                                   the host must exit and no child process may remain
 *   --mode demo --seconds S --out D a moving pattern through the filter; PNGs + stats.txt in D.
 *                                   result=PASS only when the effect was seen: at least one
 *                                   processed frame shown (the host's, not the input) and no
 *                                   host restart; otherwise result=FAIL naming which
 *   --mode fault --host P           fault injection (fault-injection.h): --cycles N SIGKILLs and
 *                                   --hang-cycles M SIGSTOPs of the host at random frame counts
 *                                   (--seed S, --max-kill-frames K), hide/show and scene switches;
 *                                   every frame must be the input or the host's output, the effect
 *                                   must come back each time, and no process, region or socket
 *                                   may be left at the end
 *
 * --host-from-manifest instead of --host: the module finds the host itself (installed layout).
 * --keep-filter: OBS shuts down with the filter still on its source (the host must still be gone).
 * --freeze-host-at-close: SIGSTOP the host just before OBS shuts down; module unload must still
 *   reap it and join its worker, and obs_shutdown must return within SHUTDOWN_LIMIT_MS.
 * Common: --module <streamfx-obs.so> --data <data dir> [--size WxH] [--resolution R]
 *         [--tolerance T] [--host-frames K] [--fps F] [--model-dir D]
 *
 * The filter reports its counters through the proc "get_stats" on its proc handler.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <X11/Xlib.h>
#include <obs.h>
#include <util/platform.h>
#include <util/threading.h>

#include "child-processes.h"
#include "filter-stats.h"
#include "obs-headless.h"
#include "fault-injection.h"
#include "harness-options.h"
#include "pattern-source.h"
#include "png-writer.h"
#include "test-pattern.h"

#define FILTER_ID            "streamfx_diffusion_filter"
#define MAX_STARTUP_FRAMES   30 /* black frames OBS may output before the source is drawn */
#define HOST_EXIT_TIMEOUT_MS 5000
#define DEMO_SNAPSHOTS       4
/* The module joins its workers within 3 s (plugin-main.c); the rest of libobs' shutdown gets 2 s. */
#define SHUTDOWN_LIMIT_MS 5000

struct harness {
	struct options opt;
	obs_source_t *source;
	obs_source_t *filter;
	os_event_t *done;

	/* Below: owned by the video output thread until `finished`, then read by main. */
	bool finished;
	bool failed;
	char failure[1024];
	uint64_t frames_seen;
	uint64_t startup_frames;
	uint64_t passthrough_frames;
	uint64_t host_frames;
	uint64_t first_host_frame; /* frames_seen at the first host frame, 0 if none */
	uint64_t distinct_host_inputs;
	uint32_t last_host_t;
	int max_error_passthrough;
	int max_error_host;
	uint64_t mismatched_pixels; /* demo: pixels off by more than the tolerance, summed */
	uint64_t other_frames;      /* demo: frames that are neither the input nor its inversion */
	uint64_t other_after_input; /* demo: of those, shown after the input was (not OBS's startup black) */
	uint64_t latency_samples;
	uint64_t latency_frames_sum;
	uint32_t latency_frames_max;
	uint64_t start_ns, end_ns;
	uint32_t obs_total_frames, obs_lagged_frames; /* OBS's own render counters at the end */
	uint64_t snapshot_at[DEMO_SNAPSHOTS];
	int snapshots_written;
	uint8_t *side_by_side;
};

static void fail(struct harness *h, const char *format, ...)
{
	if (h->failed)
		return;
	va_list args;
	va_start(args, format);
	vsnprintf(h->failure, sizeof(h->failure), format, args);
	va_end(args);
	h->failed = true;
}

static void finish(struct harness *h)
{
	if (h->finished)
		return;
	h->end_ns = os_gettime_ns();
	h->finished = true;
	os_event_signal(h->done);
}

/* ---- Frame analysis (video output thread) ---------------------------------------------------- */

static void describe_diff(char *out, size_t cap, const struct frame_diff *d)
{
	snprintf(out, cap,
		 "%" PRIu64 " pixels off, max channel error %d; first at (%u,%u): expected BGRA %u,%u,%u,%u "
		 "found %u,%u,%u,%u",
		 d->mismatched, d->max_error, d->first_x, d->first_y, d->expected[0], d->expected[1], d->expected[2],
		 d->expected[3], d->found[0], d->found[1], d->found[2], d->found[3]);
}

static void track_latency(struct harness *h, const struct video_data *frame, uint32_t t_shown)
{
	uint32_t t_now;
	if (!pattern_source_t_at(h->source, frame->timestamp, &t_now))
		return;
	/* The marker carries 16 bits of t. */
	uint32_t lag = (uint16_t)(t_now - t_shown);
	h->latency_samples++;
	h->latency_frames_sum += lag;
	if (lag > h->latency_frames_max)
		h->latency_frames_max = lag;
}

static void save_snapshot(struct harness *h, const struct video_data *frame, uint32_t t)
{
	/* Input (regenerated from the frame number the output carries) | output. */
	const uint32_t w = h->opt.width, hh = h->opt.height;
	const size_t row = (size_t)w * 2 * 4;
	pattern_fill(h->side_by_side, w, hh, row, t);
	for (uint32_t y = 0; y < hh; y++)
		memcpy(h->side_by_side + y * row + (size_t)w * 4, frame->data[0] + y * frame->linesize[0],
		       (size_t)w * 4);
	char path[4096];
	snprintf(path, sizeof(path), "%s/frame-%02d-t%05u.png", h->opt.out_dir, h->snapshots_written, t);
	if (!png_write_bgra(path, h->side_by_side, w * 2, hh, row))
		fprintf(stderr, "harness: could not write %s: %s\n", path, strerror(errno));
	else
		printf("harness: wrote %s (input | output)\n", path);
	h->snapshots_written++;
}

static void on_frame(void *param, struct video_data *frame)
{
	struct harness *h = param;
	if (h->finished)
		return;
	const struct options *o = &h->opt;
	const size_t row = frame->linesize[0];
	if (!h->start_ns)
		h->start_ns = os_gettime_ns();
	h->frames_seen++;

	uint32_t t = 0;
	enum frame_kind kind = pattern_classify(frame->data[0], row, &t);
	if (kind == FRAME_UNKNOWN && o->mode == MODE_DEMO) {
		/* A real model's output: no marker to trace, so pair it with the input of this render. */
		h->other_frames++;
		if (h->passthrough_frames || h->host_frames)
			h->other_after_input++;
		uint32_t t_now = 0;
		pattern_source_t_at(h->source, frame->timestamp, &t_now);
		if (h->snapshots_written < DEMO_SNAPSHOTS && h->frames_seen >= h->snapshot_at[h->snapshots_written])
			save_snapshot(h, frame, t_now);
		if ((double)(os_gettime_ns() - h->start_ns) / 1e9 >= o->seconds)
			finish(h);
		return;
	}
	if (kind == FRAME_UNKNOWN) {
		if (h->passthrough_frames == 0 && h->host_frames == 0 && h->startup_frames < MAX_STARTUP_FRAMES) {
			h->startup_frames++;
			return;
		}
		const uint8_t *px = frame->data[0] + (PATTERN_MARKER_SIZE / 2) * row + (PATTERN_MARKER_SIZE / 2) * 4;
		fail(h,
		     "frame %" PRIu64 ": marker unreadable (BGRA %u,%u,%u,%u): neither the input nor the host's output",
		     h->frames_seen, px[0], px[1], px[2], px[3]);
		finish(h);
		return;
	}

	struct frame_diff diff;
	char detail[512];
	const int tolerance = kind == FRAME_PASSTHROUGH ? 0 : o->tolerance;
	pattern_compare(frame->data[0], o->width, o->height, row, t, kind,
			o->mode == MODE_DEMO ? o->tolerance : tolerance, &diff);
	track_latency(h, frame, t);

	if (kind == FRAME_PASSTHROUGH) {
		h->passthrough_frames++;
		if (diff.max_error > h->max_error_passthrough)
			h->max_error_passthrough = diff.max_error;
	} else {
		if (h->host_frames == 0) {
			h->first_host_frame = h->frames_seen;
			h->distinct_host_inputs = 1;
		} else if (t != h->last_host_t) {
			h->distinct_host_inputs++;
		}
		h->last_host_t = t;
		h->host_frames++;
		if (diff.max_error > h->max_error_host)
			h->max_error_host = diff.max_error;
	}

	switch (o->mode) {
	case MODE_PASSTHROUGH:
		if (kind != FRAME_PASSTHROUGH) {
			fail(h, "frame %" PRIu64 ": expected passthrough (no host), found %s", h->frames_seen,
			     frame_kind_name(kind));
		} else if (diff.mismatched) {
			describe_diff(detail, sizeof(detail), &diff);
			fail(h, "frame %" PRIu64 " (input t=%u): passthrough is not exact: %s", h->frames_seen, t,
			     detail);
		}
		if (h->failed || h->passthrough_frames >= o->frames)
			finish(h);
		break;

	case MODE_E2E:
		if (kind == FRAME_PASSTHROUGH && h->host_frames > 0) {
			fail(h, "frame %" PRIu64 ": passthrough after the host's first frame (frame %" PRIu64 ")",
			     h->frames_seen, h->first_host_frame);
		} else if (diff.mismatched) {
			describe_diff(detail, sizeof(detail), &diff);
			fail(h, "frame %" PRIu64 " (%s of input t=%u, tolerance %d): %s", h->frames_seen,
			     frame_kind_name(kind), t, tolerance, detail);
		} else if (h->host_frames == 0 && h->frames_seen >= o->frames) {
			fail(h, "no host output within %u frames (all %" PRIu64 " checked frames were passthrough)",
			     o->frames, h->passthrough_frames);
		}
		if (!h->failed && h->host_frames >= o->host_frames) {
			/* A host stuck on one frame would pass the pixel check: its output must move. */
			uint64_t needed = o->host_frames / 4 > 2 ? o->host_frames / 4 : 2;
			if (h->distinct_host_inputs < needed)
				fail(h,
				     "host output moved on only %" PRIu64 " times in %" PRIu64 " frames (need %" PRIu64
				     ")",
				     h->distinct_host_inputs, h->host_frames, needed);
		}
		if (h->failed || h->host_frames >= o->host_frames)
			finish(h);
		break;

	case MODE_FAULT: /* fault-injection.c has its own frame callback */
		break;

	case MODE_DEMO:
		h->mismatched_pixels += diff.mismatched;
		if (h->snapshots_written < DEMO_SNAPSHOTS && h->frames_seen >= h->snapshot_at[h->snapshots_written])
			save_snapshot(h, frame, t);
		if ((double)(os_gettime_ns() - h->start_ns) / 1e9 >= o->seconds)
			finish(h);
		break;
	}
}

/* ---- libobs setup ----------------------------------------------------------------------------- */

static bool start_obs(const struct options *o, Display **display)
{
	struct obs_headless_video video = {.width = o->width, .height = o->height, .fps = o->fps};
	char err[512];
	obs_headless_watch_log();
	if (!obs_headless_start(&video, display, err, sizeof(err))) {
		fprintf(stderr, "harness: %s\n", err);
		return false;
	}
	return true;
}

static bool load_module(const struct options *o)
{
	char err[512];
	if (!obs_headless_load_module(o->module_path, o->data_path, err, sizeof(err))) {
		fprintf(stderr, "harness: %s\n", err);
		return false;
	}
	return true;
}

/* ---- Main ------------------------------------------------------------------------------------- */

/* The first line of the filter's status text (get_status proc): what the panel would show. */
static void print_status_line(obs_source_t *filter)
{
	calldata_t cd = {0};
	if (proc_handler_call(obs_source_get_proc_handler(filter), "get_status", &cd)) {
		const char *text = calldata_string(&cd, "text");
		if (text)
			printf("harness: status line: %.*s\n", (int)strcspn(text, "\n"), text);
	}
	calldata_free(&cd);
}

static int write_demo_stats(struct harness *h, const struct filter_stats *s)
{
	double elapsed = (double)(h->end_ns - h->start_ns) / 1e9;
	if (elapsed <= 0)
		elapsed = 1e-9;
	double harness_lag = h->latency_samples ? (double)h->latency_frames_sum / (double)h->latency_samples : 0.0;
	char line[1024];
	snprintf(line, sizeof(line),
		 "frames_in=%lld frames_returned=%lld frames_rendered=%" PRIu64 " host_frames_drawn=%lld"
		 " shown_passthrough=%" PRIu64 " shown_inverted=%" PRIu64 " shown_other=%" PRIu64
		 " seconds=%.2f render_fps=%.2f host_fps=%.2f latency_ms_avg=%.1f latency_ms_last=%.1f"
		 " latency_frames_avg=%.2f latency_frames_last=%lld pattern_lag_frames_avg=%.2f"
		 " pattern_lag_frames_max=%u frames_dropped=%lld pixels_off_tolerance=%" PRIu64 " size=%ux%u"
		 " resolution=%u obs_frames=%u obs_lagged_frames=%u",
		 s->frames_published, s->frames_received, h->frames_seen, s->frames_drawn, h->passthrough_frames,
		 h->host_frames, h->other_frames, elapsed, (double)h->frames_seen / elapsed,
		 (double)s->frames_received / elapsed, s->latency_ms_avg, s->latency_ms, s->latency_frames_avg,
		 s->latency_frames, harness_lag, h->latency_frames_max, s->frames_dropped, h->mismatched_pixels,
		 h->opt.width, h->opt.height, h->opt.resolution, h->obs_total_frames, h->obs_lagged_frames);
	printf("stats: %s\n", line);
	char path[4096];
	snprintf(path, sizeof(path), "%s/stats.txt", h->opt.out_dir);
	FILE *f = fopen(path, "w");
	if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0) {
		fprintf(stderr, "harness: could not write %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct harness h;
	memset(&h, 0, sizeof(h));
	struct filter_stats stats;
	memset(&stats, 0, sizeof(stats));
	if (!harness_parse_args(argc, argv, &h.opt)) {
		harness_usage();
		return 2;
	}
	struct options *o = &h.opt;

	if (o->host_path) {
		setenv("STREAMFX_HOST_PATH", o->host_path, 1);
	} else if (o->host_from_manifest) {
		unsetenv("STREAMFX_HOST_PATH");
	} else {
		/* Passthrough without a host: the filter must show its input unchanged. */
		setenv("STREAMFX_HOST_PATH", "/nonexistent/streamfx-host", 1);
	}
	if (o->mode == MODE_DEMO) {
		if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "harness: cannot create %s: %s\n", o->out_dir, strerror(errno));
			return 2;
		}
		uint64_t total = (uint64_t)(o->seconds * o->fps);
		for (int i = 0; i < DEMO_SNAPSHOTS; i++)
			h.snapshot_at[i] = total * (uint64_t)(i + 1) / (DEMO_SNAPSHOTS + 1);
		h.side_by_side = malloc((size_t)o->width * 2 * o->height * 4);
		if (!h.side_by_side)
			return 2;
	}

	if (o->mode == MODE_FAULT) {
		/* Fast restarts so 100 cycles fit in a test; production uses 250 ms doubling to 8 s. The
		 * hang bound stays at its production value. An explicit environment wins. */
		setenv("STREAMFX_RESTART_BACKOFF_MS", "10", 0);
		setenv("STREAMFX_RESTART_BACKOFF_MAX_MS", "40", 0);
		if (!o->fault.seed)
			o->fault.seed = (uint32_t)os_gettime_ns() | 1u;
		o->fault.width = o->width;
		o->fault.height = o->height;
		o->fault.tolerance = o->tolerance;
		printf("fault: seed %u, %u kills, %u freezes, backoff %s..%s ms, hang bound %d ms\n", o->fault.seed,
		       o->fault.kill_cycles, o->fault.hang_cycles, getenv("STREAMFX_RESTART_BACKOFF_MS"),
		       getenv("STREAMFX_RESTART_BACKOFF_MAX_MS"), o->fault.hang_bound_ms);
	}

	Display *display = NULL;
	if (!start_obs(o, &display)) {
		if (display)
			XCloseDisplay(display);
		return 2;
	}
	int exit_code = 1;
	os_event_init(&h.done, OS_EVENT_TYPE_MANUAL);
	pattern_source_register();
	if (!load_module(o))
		goto shutdown;

	obs_data_t *src_settings = obs_data_create();
	obs_data_set_int(src_settings, "width", o->width);
	obs_data_set_int(src_settings, "height", o->height);
	h.source = obs_source_create_private(PATTERN_SOURCE_ID, "pattern", src_settings);
	obs_data_release(src_settings);
	obs_data_t *filter_settings = obs_data_create();
	obs_data_set_int(filter_settings, "resolution", o->resolution);
	if (o->model_dir)
		obs_data_set_string(filter_settings, "model_dir", o->model_dir);
	if (o->vae_dir)
		obs_data_set_string(filter_settings, "vae_dir", o->vae_dir);
	/* Passthrough with a host running checks bypass: the input must still come through exactly. */
	if (o->mode == MODE_PASSTHROUGH && (o->host_path || o->host_from_manifest))
		obs_data_set_bool(filter_settings, "bypass", true);
	h.filter = obs_source_create_private(FILTER_ID, "diffusion", filter_settings);
	obs_data_release(filter_settings);
	if (!h.source || !h.filter) {
		fprintf(stderr, "harness: could not create the %s\n",
			h.source ? "filter (module registered it?)" : "pattern source");
		goto shutdown;
	}
	obs_source_filter_add(h.source, h.filter);
	struct fault_result fault_result;
	memset(&fault_result, 0, sizeof(fault_result));
	if (o->mode == MODE_FAULT) {
		uint64_t t0 = os_gettime_ns();
		if (!fault_injection_run(h.source, h.filter, &o->fault, &fault_result))
			fail(&h, "%s", fault_result.failure);
		h.frames_seen = fault_result.frames;
		h.passthrough_frames = fault_result.passthrough_frames;
		h.host_frames = fault_result.host_frames;
		h.obs_total_frames = fault_result.obs_frames;
		h.obs_lagged_frames = fault_result.obs_lagged;
		fault_result_print_summary(&fault_result, (double)(os_gettime_ns() - t0) / 1e9);
		char why[256];
		if (!h.failed && !fault_result_rendered_throughout(&fault_result, why, sizeof(why)))
			fail(&h, "%s", why);
		goto after_run;
	}
	obs_set_output_source(0, h.source);
	obs_add_raw_video_callback(NULL, on_frame, &h);

	/* Bounded: the frames asked for, at the configured rate, plus a margin for a slow start. */
	uint64_t expected_frames = o->mode == MODE_DEMO  ? (uint64_t)(o->seconds * o->fps)
				   : o->mode == MODE_E2E ? (uint64_t)o->frames + o->host_frames
							 : o->frames;
	unsigned long timeout_ms = (unsigned long)(expected_frames * 1000 / o->fps) * 2 + 30000;
	bool completed = os_event_timedwait(h.done, timeout_ms) == 0;
	obs_remove_raw_video_callback(on_frame, &h);
	h.obs_total_frames = obs_get_total_frames();
	h.obs_lagged_frames = obs_get_lagged_frames();
	/* The callback is disconnected: the fields it owned are now ours. */
	if (!completed) {
		fail(&h,
		     "timed out after %lu ms with %" PRIu64 " frames seen (%" PRIu64 " passthrough, %" PRIu64 " host)",
		     timeout_ms, h.frames_seen, h.passthrough_frames, h.host_frames);
		h.end_ns = os_gettime_ns();
	}

after_run:
	if (!filter_stats_read(h.filter, &stats))
		fail(&h, "the filter does not answer get_stats on its proc handler");
	/* A mode that exists to show the effect fails when the effect never showed: the host's output
	 * must have been drawn and seen in OBS's output, and the host must not have been restarted. */
	if (o->mode == MODE_DEMO) {
		print_status_line(h.filter);
		uint64_t processed_shown = h.host_frames + h.other_after_input;
		if (processed_shown == 0 || stats.frames_drawn <= 0)
			fail(&h,
			     "no processed frame was shown in %.0f s (%" PRIu64 " of %" PRIu64
			     " frames were the input passed through; the filter drew %lld host frames; host "
			     "restarts %lld): the effect never showed",
			     o->seconds, h.passthrough_frames, h.frames_seen, stats.frames_drawn, stats.restarts);
		else if (stats.restarts > 0)
			fail(&h, "the host was restarted %lld times during the demo (last error in the log)",
			     stats.restarts);
	}
	/* A frame the link dropped is counted as dropped, not published: the filter's count and the
	 * link's agree (the link counts a frame one step before the filter's counters are stored). */
	if (o->mode != MODE_PASSTHROUGH &&
	    (stats.frames_sent < stats.frames_published || stats.frames_sent > stats.frames_published + 1))
		fail(&h, "the filter counts %lld published frames, the link sent %lld (dropped %lld)",
		     stats.frames_published, stats.frames_sent, stats.frames_dropped);
	if (o->min_dropped && stats.frames_dropped < (long long)o->min_dropped)
		fail(&h, "only %lld frames counted as dropped, expected at least %u", stats.frames_dropped,
		     o->min_dropped);
	if (o->mode == MODE_E2E && h.host_frames == 0 && stats.frames_received > 0)
		fprintf(stderr,
			"harness: note: the host returned %lld frames, but they equal the input: its effect is not an "
			"inversion (the e2e check needs an inverting model, e.g. --model-dir <invert pack>)\n",
			stats.frames_received);

	obs_set_output_source(0, NULL);
	if (!o->keep_filter)
		obs_source_filter_remove(h.source, h.filter);
	obs_source_release(h.filter); /* with --keep-filter the source still holds it */
	h.filter = NULL;

	if (o->mode != MODE_PASSTHROUGH) {
		if (stats.host_pid <= 0) {
			fail(&h, "the filter never reported a host pid (link state %lld)", stats.link_state);
		} else if (o->keep_filter) {
			/* Checked after OBS shut down: the module's unload must have stopped it. */
		} else if (!process_wait_exit(stats.host_pid, HOST_EXIT_TIMEOUT_MS)) {
			char d[128];
			process_describe(stats.host_pid, d, sizeof(d));
			fail(&h, "host %s still running %d ms after the filter was removed", d, HOST_EXIT_TIMEOUT_MS);
		}
	}

	if (o->mode == MODE_DEMO && write_demo_stats(&h, &stats) != 0)
		fail(&h, "could not write stats.txt");
	if (o->freeze_host && stats.host_pid > 0) {
		if (kill((pid_t)stats.host_pid, SIGSTOP) != 0)
			fail(&h, "could not SIGSTOP host %lld: %s", stats.host_pid, strerror(errno));
		else
			printf("harness: host %lld frozen (SIGSTOP) before OBS shuts down\n", stats.host_pid);
	}
	exit_code = h.failed ? 1 : 0;

shutdown:
	if (h.filter)
		obs_source_release(h.filter);
	if (h.source) {
		obs_set_output_source(0, NULL);
		obs_source_release(h.source);
	}
	uint64_t shutdown_t0 = os_gettime_ns();
	obs_shutdown();
	uint64_t shutdown_ms = (os_gettime_ns() - shutdown_t0) / 1000000;
	printf("harness: obs_shutdown took %" PRIu64 " ms\n", shutdown_ms);
	if (o->freeze_host && shutdown_ms > SHUTDOWN_LIMIT_MS) {
		fail(&h, "obs_shutdown took %" PRIu64 " ms with a frozen host (limit %d ms)", shutdown_ms,
		     SHUTDOWN_LIMIT_MS);
		exit_code = 1;
	}
	os_event_destroy(h.done);
	char first_graphics_error[512];
	size_t graphics_errors = obs_headless_graphics_errors(first_graphics_error, sizeof(first_graphics_error));
	if (graphics_errors) {
		fail(&h, "OBS logged %zu graphics error(s), the first: %s", graphics_errors, first_graphics_error);
		exit_code = 1;
	}
	struct obs_headless_leftovers left;
	obs_headless_leftovers(&left);
	long leaks = left.bmem_leaks;
	size_t n_children = left.children;
	if (leaks != 0) {
		fail(&h, "%ld libobs allocations (bmalloc) still live after OBS shut down", leaks);
		exit_code = 1;
	}
	if (n_children) {
		fail(&h, "%zu child process(es) remain after OBS shut down, e.g. %s", n_children, left.first_child);
		exit_code = 1;
	}
	if (exit_code == 0 && o->mode != MODE_PASSTHROUGH && stats.host_pid > 0 && process_exists(stats.host_pid)) {
		fail(&h, "host pid %lld still exists after OBS shut down", stats.host_pid);
		exit_code = 1;
	}
	if (o->mode == MODE_FAULT) {
		/* Every region and socket given to a host is gone, however the host ended. */
		char *left = ipc_objects_left(fault_result.ipc_names);
		size_t named = 0;
		for (const char *p = fault_result.ipc_names; p && *p; p++)
			named += *p == '\n';
		if (named < 2) {
			fail(&h, "only %zu region/socket names were collected from the hosts' command lines", named);
			exit_code = 1;
		} else if (left[0]) {
			fail(&h, "shared-memory regions or sockets left after OBS shut down:\n%s", left);
			exit_code = 1;
		} else {
			printf("fault: none of the %zu regions and sockets given to hosts is left\n", named);
		}
		free(left);
		free(fault_result.ipc_names);
	}

	if (h.failed)
		fprintf(stderr, "harness: FAIL: %s\n", h.failure);
	/* One verdict in every mode, even when no frame was seen. */
	double lag = h.latency_samples ? (double)h.latency_frames_sum / (double)h.latency_samples : -1.0;
	printf("harness summary: mode=%s result=%s frames=%" PRIu64 " startup=%" PRIu64 " passthrough=%" PRIu64
	       " host=%" PRIu64 " first_host_frame=%" PRIu64 " distinct_host_inputs=%" PRIu64
	       " max_err_passthrough=%d max_err_host=%d lag_frames_avg=%.2f lag_frames_max=%u"
	       " restarts=%lld frames_in=%lld frames_returned=%lld frames_drawn=%lld latency_ms_avg=%.1f"
	       " children_left=%zu"
	       " bmem_leaks=%ld obs_lagged_frames=%u/%u\n",
	       harness_mode_name(o->mode), exit_code == 0 ? "PASS" : "FAIL", h.frames_seen, h.startup_frames,
	       h.passthrough_frames, h.host_frames, h.first_host_frame, h.distinct_host_inputs, h.max_error_passthrough,
	       h.max_error_host, lag, h.latency_frames_max, stats.restarts, stats.frames_published,
	       stats.frames_received, stats.frames_drawn, stats.latency_ms_avg, n_children, leaks, h.obs_lagged_frames,
	       h.obs_total_frames);
	free(h.side_by_side);
	XCloseDisplay(display);
	return exit_code;
}
