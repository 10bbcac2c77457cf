/*
 * The benchmark's input source (id "sfx_bench_marker"): a fixed test-pattern background uploaded
 * once, plus the 32x32 frame-number marker of tests/e2e/test-pattern.h redrawn every tick. Unlike
 * the e2e harness's pattern source (which regenerates the whole frame on the CPU each tick, about
 * 12 ms at 1080p here), it costs one small upload per frame, so the graphics thread is not
 * saturated by the input and the filter's cost stands out.
 *
 * Settings: "width", "height" (pixels).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <obs.h>

#define MARKER_SOURCE_ID "sfx_bench_marker"

void marker_source_register(void);

/* The frame number t the source drew for the frame OBS rendered at `timestamp`; false if unknown. */
bool marker_source_t_at(obs_source_t *source, uint64_t timestamp, uint32_t *t_out);
