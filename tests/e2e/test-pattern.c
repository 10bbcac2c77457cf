#include "test-pattern.h"

#include <stdlib.h>
#include <string.h>

#define SQUARE_SIZE 64

static void pattern_pixel(uint32_t x, uint32_t y, uint32_t width, uint32_t height, uint32_t t, uint8_t px[4])
{
	if (x < PATTERN_MARKER_SIZE && y < PATTERN_MARKER_SIZE) {
		px[0] = PATTERN_MARKER_BLUE;
		px[1] = (uint8_t)(t >> 8);
		px[2] = (uint8_t)t;
		px[3] = 255;
		return;
	}

	/* A square bouncing across a scrolling gradient: every frame differs everywhere. */
	uint32_t span_x = width > SQUARE_SIZE ? width - SQUARE_SIZE : 1;
	uint32_t span_y = height > SQUARE_SIZE ? height - SQUARE_SIZE : 1;
	uint32_t phase_x = (t * 4) % (2 * span_x);
	uint32_t phase_y = (t * 3) % (2 * span_y);
	uint32_t sx = phase_x < span_x ? phase_x : 2 * span_x - phase_x;
	uint32_t sy = phase_y < span_y ? phase_y : 2 * span_y - phase_y;
	if (x >= sx && x < sx + SQUARE_SIZE && y >= sy && y < sy + SQUARE_SIZE) {
		px[0] = 16;
		px[1] = 240;
		px[2] = 240;
		px[3] = 255;
		return;
	}
	px[0] = (uint8_t)(x + 2 * t);
	px[1] = (uint8_t)(y + t);
	px[2] = (uint8_t)((x ^ y) >> 1);
	px[3] = 255;
}

void pattern_fill(uint8_t *bgra, uint32_t width, uint32_t height, size_t row_bytes, uint32_t t)
{
	for (uint32_t y = 0; y < height; y++) {
		uint8_t *row = bgra + y * row_bytes;
		for (uint32_t x = 0; x < width; x++)
			pattern_pixel(x, y, width, height, t, row + x * 4);
	}
}

static bool near(int a, int b, int tolerance)
{
	return abs(a - b) <= tolerance;
}

enum frame_kind pattern_classify(const uint8_t *bgra, size_t row_bytes, uint32_t *t_out)
{
	/* The centre of the marker block: far from its edges, so scaling does not blur it. */
	const uint8_t *px = bgra + (PATTERN_MARKER_SIZE / 2) * row_bytes + (PATTERN_MARKER_SIZE / 2) * 4;
	if (px[3] != 255)
		return FRAME_UNKNOWN;
	if (near(px[0], PATTERN_MARKER_BLUE, 2)) {
		*t_out = (uint32_t)px[2] | ((uint32_t)px[1] << 8);
		return FRAME_PASSTHROUGH;
	}
	if (near(px[0], 255 - PATTERN_MARKER_BLUE, 2)) {
		*t_out = (uint32_t)(255 - px[2]) | ((uint32_t)(255 - px[1]) << 8);
		return FRAME_INVERTED;
	}
	return FRAME_UNKNOWN;
}

void pattern_compare(const uint8_t *bgra, uint32_t width, uint32_t height, size_t row_bytes, uint32_t t,
		     enum frame_kind kind, int tolerance, struct frame_diff *diff)
{
	memset(diff, 0, sizeof(*diff));
	for (uint32_t y = 0; y < height; y++) {
		const uint8_t *row = bgra + y * row_bytes;
		for (uint32_t x = 0; x < width; x++) {
			uint8_t expected[4];
			pattern_pixel(x, y, width, height, t, expected);
			if (kind == FRAME_INVERTED) {
				for (int c = 0; c < 3; c++)
					expected[c] = (uint8_t)(255 - expected[c]);
			}
			const uint8_t *found = row + x * 4;
			int worst = 0;
			for (int c = 0; c < 4; c++) {
				int e = abs((int)found[c] - (int)expected[c]);
				if (e > worst)
					worst = e;
			}
			if (worst > diff->max_error)
				diff->max_error = worst;
			if (worst > tolerance) {
				if (diff->mismatched == 0) {
					diff->first_x = x;
					diff->first_y = y;
					memcpy(diff->expected, expected, 4);
					memcpy(diff->found, found, 4);
				}
				diff->mismatched++;
			}
		}
	}
}

const char *frame_kind_name(enum frame_kind kind)
{
	switch (kind) {
	case FRAME_PASSTHROUGH:
		return "passthrough";
	case FRAME_INVERTED:
		return "host output";
	case FRAME_UNKNOWN:
		break;
	}
	return "unknown";
}
