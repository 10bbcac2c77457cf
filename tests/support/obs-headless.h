/*
 * Headless libobs for the C test programs (harness, controls, bench): the X display, the OpenGL
 * video at a given size, the module under test, and the leak/child check after obs_shutdown.
 * Errors come back as text so each caller reports them its own way.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <X11/Xlib.h>

struct obs_headless_video {
	uint32_t width, height; /* base and output size */
	uint32_t fps;
};

/* Opens the X display (*display stays NULL if that fails), obs_startup, 48 kHz stereo audio and
 * BGRA sRGB full-range video through libobs-opengl. On false, err names the step that failed. */
bool obs_headless_start(const struct obs_headless_video *video, Display **display, char *err, size_t err_size);

/* obs_open_module + obs_init_module. */
bool obs_headless_load_module(const char *module_path, const char *data_path, char *err, size_t err_size);

/* What outlived libobs: read after obs_shutdown. */
struct obs_headless_leftovers {
	long bmem_leaks;       /* bmalloc allocations still live */
	size_t children;       /* child processes of this process, running or zombie */
	char first_child[128]; /* a description of one of them, for the failure message */
};

void obs_headless_leftovers(struct obs_headless_leftovers *out);

/* libobs' words for a draw that went wrong (a source drawn without an effect, a bad parameter):
 * device_draw, "No vertex shader", effect_setval, "invalid param", at warning level or worse. Any
 * one of them in a test run means something drew nothing, or garbage. */
bool obs_headless_is_graphics_error(int level, const char *line);

/* Installs a log handler that prints libobs' log as its default handler does ("level: text" on
 * stdout) and counts the graphics errors above. Call before obs_headless_start. */
void obs_headless_watch_log(void);
/* Graphics errors seen by the handler; the first one is copied into first (may be NULL). */
size_t obs_headless_graphics_errors(char *first, size_t first_size);
