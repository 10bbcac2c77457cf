/*
 * GPU -> CPU without stalling the graphics thread: the filter's input is rendered into a texrender
 * at the processing size, staged into one of three stage surfaces, and only a surface staged on an
 * EARLIER frame is mapped (mapping the one staged this frame would wait on the GPU). It knows
 * nothing of where the bytes go: the filter copies a mapped frame into the host link's input slot.
 *
 * The target is drawn as libobs draws a filter's input (see draw_target), so every kind of source
 * works: synchronous sources that use OBS's default effect, custom-draw and async sources, scenes,
 * and sources with other filters before this one.
 *
 * All functions run on OBS's graphics thread, inside the filter's video_render.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <obs-module.h>

#define FRAME_READBACK_RING 3

enum frame_stage_state {
	FRAME_STAGE_FREE = 0, /* no frame in it */
	FRAME_STAGE_STAGED,   /* gs_stage_texture issued; the copy may still be in flight */
};

struct frame_stage {
	gs_stagesurf_t *surface;
	enum frame_stage_state state;
	uint64_t staged_frame;    /* frame_readback.frame when staged */
	uint64_t capture_time_ns; /* os_gettime_ns() when staged */
	uint32_t width;
	uint32_t height;
};

struct frame_readback {
	gs_texrender_t *texrender;        /* BGRA, sRGB: what is staged for the host */
	enum gs_color_space target_space; /* the target's colour space at the last capture */
	bool captured_this_frame;         /* texrender holds this frame's capture */
	struct frame_stage ring[FRAME_READBACK_RING];
	uint64_t frame; /* increments once per video_render that uses the readback */
	uint64_t frames_staged;
	uint64_t frames_published;
	uint64_t frames_dropped;       /* staged but replaced or discarded before they could be sent */
	uint64_t last_published_frame; /* staged_frame of the last frame that was sent */
	struct frame_stage *mapped;    /* the stage between map_newest and unmap, else NULL */
};

void frame_readback_init(struct frame_readback *rb);
/* Frees the GPU objects; call with the graphics context entered. */
void frame_readback_free(struct frame_readback *rb);

/* Starts a new frame: every later call in this video_render belongs to it. */
void frame_readback_begin_frame(struct frame_readback *rb);

/* A staged frame mapped for reading (BGRA rows, `linesize` bytes apart). */
struct frame_readback_mapped {
	const uint8_t *data;
	uint32_t linesize;
	uint32_t width, height;
	uint64_t capture_time_ns;
	uint64_t staged_frame;
};

/* Maps the newest surface staged on an earlier frame; older staged surfaces are dropped (latest
 * frame wins). Returns false when none is ready. Call frame_readback_unmap before the next map. */
bool frame_readback_map_newest(struct frame_readback *rb, struct frame_readback_mapped *out);

/* Unmaps the mapped frame and frees its stage; `sent` counts it as published, else as dropped. */
void frame_readback_unmap(struct frame_readback *rb, bool sent);

/* Renders the filter's target at width x height into the texrender as 8-bit sRGB (libobs converts
 * and tone-maps other colour spaces on the way) and stages it. Returns false when the target could
 * not be rendered. */
bool frame_readback_capture(struct frame_readback *rb, obs_source_t *filter, uint32_t width, uint32_t height);

/* This frame's capture (processing size, sRGB, alpha kept), or NULL if nothing was captured. */
gs_texture_t *frame_readback_current_texture(const struct frame_readback *rb);

/* The colour space the filter's target draws in, among those the filter can read. */
enum gs_color_space frame_readback_target_space(obs_source_t *filter);

/* Forgets every staged frame (link gone, bypass, source hidden). */
void frame_readback_discard(struct frame_readback *rb);
