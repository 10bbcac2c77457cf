/*
 * The harness's known input: a moving BGRA pattern that carries its own frame number, so any
 * output frame can be traced back to the input it was made from and checked pixel by pixel.
 *
 * A 32x32 marker block at the top-left holds the frame number t (R = t & 255, G = t >> 8) and a
 * fixed blue of 200, which the host's inversion turns into 55: the blue says whether a frame is
 * the input passed through or the host's output.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PATTERN_MARKER_SIZE 32
#define PATTERN_MARKER_BLUE 200

enum frame_kind {
	FRAME_UNKNOWN = 0, /* marker unreadable (black startup frame, or garbage) */
	FRAME_PASSTHROUGH, /* the input, unchanged */
	FRAME_INVERTED,    /* the host's transform of the input: 255 - value for B, G, R */
};

/* Fills a BGRA frame (row_bytes per row) with the pattern for frame t. */
void pattern_fill(uint8_t *bgra, uint32_t width, uint32_t height, size_t row_bytes, uint32_t t);

/* Reads the marker: what kind of frame this is and which input frame number it shows. */
enum frame_kind pattern_classify(const uint8_t *bgra, size_t row_bytes, uint32_t *t_out);

struct frame_diff {
	uint64_t mismatched; /* pixels with a channel off by more than the tolerance */
	int max_error;       /* largest channel difference seen */
	uint32_t first_x, first_y;
	uint8_t expected[4], found[4]; /* at the first mismatch, BGRA */
};

/* Compares a frame against the pattern for t (inverted for FRAME_INVERTED); alpha must match too. */
void pattern_compare(const uint8_t *bgra, uint32_t width, uint32_t height, size_t row_bytes, uint32_t t,
		     enum frame_kind kind, int tolerance, struct frame_diff *diff);

const char *frame_kind_name(enum frame_kind kind);
