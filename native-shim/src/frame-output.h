/*
 * What the filter shows: the host's newest output frame, uploaded into a GS_DYNAMIC texture and
 * drawn scaled to the source size, or a passthrough of the input until the first output arrives.
 *
 * All functions run on OBS's graphics thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <obs-module.h>

#include "bridge/host-link.h"

struct frame_output {
	gs_texture_t *texture;
	uint32_t width;
	uint32_t height;
	enum gs_color_format format;
	bool has_frame; /* the texture holds a host frame of the current session */
	uint32_t sequence;
	uint32_t source_sequence;
	uint64_t capture_time_ns;
	uint64_t frames_received;
};

void frame_output_init(struct frame_output *out);
/* Frees the texture; call with the graphics context entered. */
void frame_output_free(struct frame_output *out);

/* Uploads a host frame. Returns false (and keeps the previous frame) when the view is unusable. */
bool frame_output_update(struct frame_output *out, const struct sfx_frame_view *view);

/* Forget the last frame: the next draw is a passthrough until a new frame arrives. */
void frame_output_reset(struct frame_output *out);

/* Draws the last host frame scaled to cx x cy, or passes the input through when there is none.
 * With `effect` (frame-composite.effect) and an `alpha` texture (this frame's capture), the colour
 * is the host's and the alpha the source's, premultiplied; with `alpha` NULL the output is opaque.
 * Without `effect` the host frame is drawn as it is with OBS's default effect. */
void frame_output_draw(struct frame_output *out, obs_source_t *filter, gs_effect_t *effect, gs_texture_t *alpha,
		       uint32_t cx, uint32_t cy);
