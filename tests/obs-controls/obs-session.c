#include "obs-session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>
#include <util/bmem.h>
#include <util/dstr.h>
#include <util/platform.h>
#include <util/threading.h>

#include "obs-headless.h"
#include "still-source.h"

#define LOG_KEEP 512

static struct {
	Display *display;
	os_event_t *frame_event;
	pthread_mutex_t lock;
	uint64_t frames;
	uint8_t *frame;
	uint32_t width, height;
	bool failed;
	bool started;

	pthread_mutex_t log_lock;
	char *log_lines[LOG_KEEP];
	size_t log_count; /* lines written in total */
	size_t log_mark;
	size_t graphics_errors; /* error lines of a failed draw (see graphics_error) */
	char first_graphics_error[512];
} S;

void check_fail(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fprintf(stderr, "FAIL: ");
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
	S.failed = true;
}

bool check_failed(void)
{
	return S.failed;
}

static void log_handler(int level, const char *format, va_list args, void *param)
{
	(void)param;
	char line[4096];
	vsnprintf(line, sizeof(line), format, args);
	if (level <= LOG_INFO)
		fprintf(stderr, "obs: %s\n", line);
	pthread_mutex_lock(&S.log_lock);
	if (obs_headless_is_graphics_error(level, line) && S.graphics_errors++ == 0)
		snprintf(S.first_graphics_error, sizeof(S.first_graphics_error), "%.500s", line);
	size_t slot = S.log_count % LOG_KEEP;
	free(S.log_lines[slot]);
	S.log_lines[slot] = strdup(line);
	S.log_count++;
	pthread_mutex_unlock(&S.log_lock);
}

void session_log_mark(void)
{
	pthread_mutex_lock(&S.log_lock);
	S.log_mark = S.log_count;
	pthread_mutex_unlock(&S.log_lock);
}

bool session_log_has(const char *fragment, ...)
{
	const char *fragments[16];
	size_t n = 0;
	va_list args;
	va_start(args, fragment);
	for (const char *f = fragment; f && n < 16; f = va_arg(args, const char *))
		fragments[n++] = f;
	va_end(args);

	bool found = false;
	pthread_mutex_lock(&S.log_lock);
	size_t first =
	    S.log_count > LOG_KEEP && S.log_mark < S.log_count - LOG_KEEP ? S.log_count - LOG_KEEP : S.log_mark;
	for (size_t i = first; i < S.log_count && !found; i++) {
		const char *line = S.log_lines[i % LOG_KEEP];
		bool all = line != NULL;
		for (size_t k = 0; k < n && all; k++)
			all = strstr(line, fragments[k]) != NULL;
		found = all;
	}
	pthread_mutex_unlock(&S.log_lock);
	return found;
}

static void on_frame(void *param, struct video_data *frame)
{
	(void)param;
	pthread_mutex_lock(&S.lock);
	for (uint32_t y = 0; y < S.height; y++)
		memcpy(S.frame + (size_t)y * S.width * 4, frame->data[0] + (size_t)y * frame->linesize[0],
		       (size_t)S.width * 4);
	S.frames++;
	pthread_mutex_unlock(&S.lock);
	os_event_signal(S.frame_event);
}

bool session_start(const struct session_options *o)
{
	pthread_mutex_init(&S.lock, NULL);
	pthread_mutex_init(&S.log_lock, NULL);
	base_set_log_handler(log_handler, NULL);
	if (o->host_path)
		setenv("STREAMFX_HOST_PATH", o->host_path, 1);
	else
		setenv("STREAMFX_HOST_PATH", "/nonexistent/streamfx-host", 1);

	struct obs_headless_video video = {.width = o->width, .height = o->height, .fps = o->fps};
	char err[512];
	bool up = obs_headless_start(&video, &S.display, err, sizeof(err));
	S.started = obs_initialized(); /* session_stop shuts down whatever started */
	if (!up || !obs_headless_load_module(o->module_path, o->data_path, err, sizeof(err))) {
		check_fail("%s", err);
		return false;
	}
	still_source_register();

	S.width = o->width;
	S.height = o->height;
	S.frame = bzalloc((size_t)o->width * o->height * 4);
	os_event_init(&S.frame_event, OS_EVENT_TYPE_AUTO);
	obs_add_raw_video_callback(NULL, on_frame, NULL);
	return true;
}

bool session_stop(void)
{
	if (!S.started)
		return false;
	obs_remove_raw_video_callback(on_frame, NULL);
	obs_set_output_source(0, NULL);
	obs_shutdown();
	bfree(S.frame);
	S.frame = NULL;
	os_event_destroy(S.frame_event);
	bool ok = true;
	struct obs_headless_leftovers left;
	obs_headless_leftovers(&left);
	if (left.bmem_leaks != 0) {
		check_fail("%ld libobs allocations (bmalloc) still live after OBS shut down", left.bmem_leaks);
		ok = false;
	}
	if (left.children) {
		check_fail("%zu child process(es) remain after OBS shut down, e.g. %s", left.children,
			   left.first_child);
		ok = false;
	}
	if (S.graphics_errors) {
		check_fail("OBS logged %zu graphics error(s), the first: %s", S.graphics_errors,
			   S.first_graphics_error);
		ok = false;
	}
	if (S.display)
		XCloseDisplay(S.display);
	return ok;
}

bool session_wait_frames(uint64_t n, int timeout_ms)
{
	pthread_mutex_lock(&S.lock);
	uint64_t target = S.frames + n;
	pthread_mutex_unlock(&S.lock);
	uint64_t deadline = os_gettime_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (true) {
		pthread_mutex_lock(&S.lock);
		bool done = S.frames >= target;
		pthread_mutex_unlock(&S.lock);
		if (done)
			return true;
		uint64_t now = os_gettime_ns();
		if (now >= deadline)
			return false;
		os_event_timedwait(S.frame_event, (unsigned long)((deadline - now) / 1000000ull) + 1);
	}
}

bool session_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
	uint64_t deadline = os_gettime_ns() + (uint64_t)timeout_ms * 1000000ull;
	while (!cond(arg)) {
		uint64_t now = os_gettime_ns();
		if (now >= deadline)
			return false;
		/* One frame: every condition here changes at most once per rendered frame. */
		if (!session_wait_frames(1, (int)((deadline - now) / 1000000ull) + 1))
			return cond(arg);
	}
	return true;
}

uint64_t session_copy_frame(uint8_t *out)
{
	pthread_mutex_lock(&S.lock);
	memcpy(out, S.frame, (size_t)S.width * S.height * 4);
	uint64_t n = S.frames;
	pthread_mutex_unlock(&S.lock);
	return n;
}

uint32_t session_width(void)
{
	return S.width;
}

uint32_t session_height(void)
{
	return S.height;
}

char *filter_get_config(obs_source_t *filter)
{
	calldata_t cd = {0};
	char *json = NULL;
	if (proc_handler_call(obs_source_get_proc_handler(filter), "get_config", &cd))
		json = bstrdup(calldata_string(&cd, "json"));
	calldata_free(&cd);
	return json ? json : bstrdup("");
}

void filter_get_status(obs_source_t *filter, char **text, char **host_status)
{
	calldata_t cd = {0};
	*text = *host_status = NULL;
	if (proc_handler_call(obs_source_get_proc_handler(filter), "get_status", &cd)) {
		*text = bstrdup(calldata_string(&cd, "text"));
		*host_status = bstrdup(calldata_string(&cd, "host_status"));
	}
	calldata_free(&cd);
	if (!*text)
		*text = bstrdup("");
	if (!*host_status)
		*host_status = bstrdup("");
}

double frame_region_diff(const uint8_t *frame, uint32_t frame_width, uint32_t x0, uint32_t y0, const uint8_t *expected,
			 uint32_t w, uint32_t h, bool inverted)
{
	uint64_t sum = 0;
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *f = frame + ((size_t)(y0 + y) * frame_width + x0) * 4;
		const uint8_t *e = expected + (size_t)y * w * 4;
		for (uint32_t x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				int want = inverted ? 255 - e[x * 4 + c] : e[x * 4 + c];
				int d = f[x * 4 + c] - want;
				sum += (uint64_t)(d < 0 ? -d : d);
			}
	}
	return (double)sum / ((double)w * h * 3);
}

uint64_t frame_hash(const uint8_t *frame, size_t bytes)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < bytes; i++) {
		h ^= frame[i];
		h *= 1099511628211ull;
	}
	return h;
}
