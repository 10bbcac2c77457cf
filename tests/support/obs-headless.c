#include "obs-headless.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <obs-module.h>
#include <obs-nix-platform.h>
#include <obs.h>
#include <util/bmem.h>

#include "child-processes.h"

bool obs_headless_is_graphics_error(int level, const char *line)
{
	static const char *const fragments[] = {"device_draw", "No vertex shader", "effect_setval", "invalid param"};
	if (level > LOG_WARNING)
		return false;
	for (size_t i = 0; i < sizeof(fragments) / sizeof(fragments[0]); i++)
		if (strstr(line, fragments[i]))
			return true;
	return false;
}

static struct {
	pthread_mutex_t lock;
	size_t graphics_errors;
	char first[512];
} watch = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void watch_log_handler(int level, const char *format, va_list args, void *param)
{
	(void)param;
	char line[4096];
	vsnprintf(line, sizeof(line), format, args);
	const char *name = level <= LOG_ERROR     ? "error"
			   : level <= LOG_WARNING ? "warning"
			   : level <= LOG_INFO    ? "info"
						  : "debug";
	pthread_mutex_lock(&watch.lock);
	printf("%s: %s\n", name, line);
	fflush(stdout);
	if (obs_headless_is_graphics_error(level, line) && watch.graphics_errors++ == 0)
		snprintf(watch.first, sizeof(watch.first), "%.500s", line);
	pthread_mutex_unlock(&watch.lock);
}

void obs_headless_watch_log(void)
{
	base_set_log_handler(watch_log_handler, NULL);
}

size_t obs_headless_graphics_errors(char *first, size_t first_size)
{
	pthread_mutex_lock(&watch.lock);
	size_t n = watch.graphics_errors;
	if (first && first_size)
		snprintf(first, first_size, "%s", watch.first);
	pthread_mutex_unlock(&watch.lock);
	return n;
}

bool obs_headless_start(const struct obs_headless_video *video, Display **display, char *err, size_t err_size)
{
	*display = XOpenDisplay(NULL);
	if (!*display) {
		snprintf(err, err_size, "cannot open X display '%s' (start Xvfb and set DISPLAY, or use xvfb-run)",
			 getenv("DISPLAY") ? getenv("DISPLAY") : "(unset)");
		return false;
	}
	obs_set_nix_platform(OBS_NIX_PLATFORM_X11_EGL);
	obs_set_nix_platform_display(*display);
	if (!obs_startup("en-US", NULL, NULL)) {
		snprintf(err, err_size, "obs_startup failed");
		return false;
	}

	struct obs_audio_info oai = {.samples_per_sec = 48000, .speakers = SPEAKERS_STEREO};
	if (!obs_reset_audio(&oai)) {
		snprintf(err, err_size, "obs_reset_audio failed");
		return false;
	}

	struct obs_video_info ovi = {
	    .graphics_module = "libobs-opengl",
	    .fps_num = video->fps,
	    .fps_den = 1,
	    .base_width = video->width,
	    .base_height = video->height,
	    .output_width = video->width,
	    .output_height = video->height,
	    .output_format = VIDEO_FORMAT_BGRA,
	    .adapter = 0,
	    .gpu_conversion = false,
	    .colorspace = VIDEO_CS_SRGB,
	    .range = VIDEO_RANGE_FULL,
	    .scale_type = OBS_SCALE_POINT,
	};
	int rc = obs_reset_video(&ovi);
	if (rc != OBS_VIDEO_SUCCESS) {
		snprintf(err, err_size, "obs_reset_video failed with %d (is libobs-opengl installed?)", rc);
		return false;
	}
	return true;
}

bool obs_headless_load_module(const char *module_path, const char *data_path, char *err, size_t err_size)
{
	obs_module_t *module = NULL;
	int rc = obs_open_module(&module, module_path, data_path);
	if (rc != MODULE_SUCCESS) {
		snprintf(err, err_size, "obs_open_module(%s, %s) failed with %d", module_path, data_path, rc);
		return false;
	}
	if (!obs_init_module(module)) {
		snprintf(err, err_size, "obs_init_module(%s) failed", module_path);
		return false;
	}
	return true;
}

void obs_headless_leftovers(struct obs_headless_leftovers *out)
{
	memset(out, 0, sizeof(*out));
	/* Every bmalloc of libobs, the module and the caller is freed by now. */
	out->bmem_leaks = bnum_allocs();
	/* The module's unload waited for every link worker: no host, running or zombie, may remain. */
	int64_t children[16];
	out->children = child_processes_list(children, 16);
	if (out->children)
		process_describe(children[0], out->first_child, sizeof(out->first_child));
}
