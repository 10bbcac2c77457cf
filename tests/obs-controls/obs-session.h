/*
 * Headless libobs for the controls tests: an X display, OpenGL, the streamfx-obs module, the
 * still source, the program output captured frame by frame (BGRA), and OBS's log kept so tests
 * can check the warnings the filter writes. Waits are on frames (an event per output frame) with
 * a bounded timeout, never on sleeps.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <obs.h>

#include "filter-stats.h"

struct session_options {
	const char *module_path;
	const char *data_path;
	const char *host_path; /* NULL: no host (the filter passes frames through) */
	uint32_t width, height;
	uint32_t fps;
};

bool session_start(const struct session_options *o);
/* Shuts OBS down; returns false (with a message) if bmalloc allocations or child processes remain. */
bool session_stop(void);

/* Waits until `n` more program frames were output. */
bool session_wait_frames(uint64_t n, int timeout_ms);
/* Copies the newest program frame (width*height*4 bytes, rows packed); returns its number. */
uint64_t session_copy_frame(uint8_t *out);
uint32_t session_width(void);
uint32_t session_height(void);

/* Waits (frame by frame, up to timeout_ms) until cond(arg) is true. */
bool session_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms);

/* True if a log line written since the last session_log_mark() contains every one of the given
 * fragments (NULL-terminated list). */
void session_log_mark(void);
bool session_log_has(const char *fragment, ...);

/* The last CONFIGURE JSON of the filter (bfree it). */
char *filter_get_config(obs_source_t *filter);
/* The status line and the host's STATUS JSON (bfree both). */
void filter_get_status(obs_source_t *filter, char **text, char **host_status);

/* Mean absolute channel difference (B, G, R) between a w x h region of the frame (at x0, y0) and
 * the picture `expected` (w x h, packed), or 255 - expected when inverted. */
double frame_region_diff(const uint8_t *frame, uint32_t frame_width, uint32_t x0, uint32_t y0, const uint8_t *expected,
			 uint32_t w, uint32_t h, bool inverted);

uint64_t frame_hash(const uint8_t *frame, size_t bytes);

/* Test failure reporting: prints "FAIL: ..." and marks the run failed. */
void check_fail(const char *format, ...);
bool check_failed(void);
#define CHECK(cond, ...)                                                                                               \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			check_fail(__VA_ARGS__);                                                                       \
			return false;                                                                                  \
		}                                                                                                      \
	} while (0)
