/*
 * The harness's input: a synchronous video source (id "sfx_harness_pattern") that draws the test
 * pattern for frame t, t advancing once per OBS tick. It remembers which t it drew for each OBS
 * frame time, so an output frame's timestamp tells which input was current when it was rendered.
 *
 * Settings: "width", "height" (pixels).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <obs.h>

#define PATTERN_SOURCE_ID "sfx_harness_pattern"

void pattern_source_register(void);

/* The t the source drew for the frame rendered at OBS frame time `timestamp`; false if unknown. */
bool pattern_source_t_at(obs_source_t *source, uint64_t timestamp, uint32_t *t_out);
