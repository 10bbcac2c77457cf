#include "frame-readback.h"

#include <string.h>

#include <graphics/vec4.h>
#include <util/platform.h>

#include "plugin-log.h"

void frame_readback_init(struct frame_readback *rb)
{
	memset(rb, 0, sizeof(*rb));
}

void frame_readback_free(struct frame_readback *rb)
{
	for (int i = 0; i < FRAME_READBACK_RING; i++) {
		gs_stagesurface_destroy(rb->ring[i].surface);
		rb->ring[i].surface = NULL;
		rb->ring[i].state = FRAME_STAGE_FREE;
	}
	gs_texrender_destroy(rb->texrender);
	rb->texrender = NULL;
}

void frame_readback_begin_frame(struct frame_readback *rb)
{
	rb->frame++;
	rb->captured_this_frame = false;
}

gs_texture_t *frame_readback_current_texture(const struct frame_readback *rb)
{
	return rb->captured_this_frame && rb->texrender ? gs_texrender_get_texture(rb->texrender) : NULL;
}

void frame_readback_discard(struct frame_readback *rb)
{
	for (int i = 0; i < FRAME_READBACK_RING; i++) {
		if (rb->ring[i].state == FRAME_STAGE_STAGED)
			rb->frames_dropped++;
		rb->ring[i].state = FRAME_STAGE_FREE;
	}
}

bool frame_readback_map_newest(struct frame_readback *rb, struct frame_readback_mapped *out)
{
	memset(out, 0, sizeof(*out));
	struct frame_stage *newest = NULL;
	for (int i = 0; i < FRAME_READBACK_RING; i++) {
		struct frame_stage *s = &rb->ring[i];
		if (s->state != FRAME_STAGE_STAGED || s->staged_frame >= rb->frame)
			continue;
		if (!newest || s->staged_frame > newest->staged_frame)
			newest = s;
	}
	if (!newest)
		return false;

	/* Anything older than the newest ready frame would only add latency. */
	for (int i = 0; i < FRAME_READBACK_RING; i++) {
		struct frame_stage *s = &rb->ring[i];
		if (s != newest && s->state == FRAME_STAGE_STAGED && s->staged_frame < newest->staged_frame) {
			s->state = FRAME_STAGE_FREE;
			rb->frames_dropped++;
		}
	}

	uint8_t *data = NULL;
	uint32_t linesize = 0;
	if (!gs_stagesurface_map(newest->surface, &data, &linesize)) {
		newest->state = FRAME_STAGE_FREE;
		rb->frames_dropped++;
		return false;
	}
	if (linesize < newest->width * 4) {
		gs_stagesurface_unmap(newest->surface);
		obs_log(LOG_ERROR, "stage surface linesize %u is smaller than a row (%u bytes)", linesize,
			newest->width * 4);
		newest->state = FRAME_STAGE_FREE;
		rb->frames_dropped++;
		return false;
	}
	rb->mapped = newest;
	out->data = data;
	out->linesize = linesize;
	out->width = newest->width;
	out->height = newest->height;
	out->capture_time_ns = newest->capture_time_ns;
	out->staged_frame = newest->staged_frame;
	return true;
}

void frame_readback_unmap(struct frame_readback *rb, bool sent)
{
	struct frame_stage *stage = rb->mapped;
	if (!stage)
		return;
	gs_stagesurface_unmap(stage->surface);
	stage->state = FRAME_STAGE_FREE;
	rb->mapped = NULL;
	if (sent) {
		rb->last_published_frame = stage->staged_frame;
		rb->frames_published++;
	} else {
		rb->frames_dropped++;
	}
}

static struct frame_stage *take_free_stage(struct frame_readback *rb)
{
	struct frame_stage *oldest = NULL;
	for (int i = 0; i < FRAME_READBACK_RING; i++) {
		struct frame_stage *s = &rb->ring[i];
		if (s->state == FRAME_STAGE_FREE)
			return s;
		if (!oldest || s->staged_frame < oldest->staged_frame)
			oldest = s;
	}
	/* All three are in flight (publish was skipped): reuse the oldest, its frame is stale. */
	oldest->state = FRAME_STAGE_FREE;
	rb->frames_dropped++;
	return oldest;
}

/* Draws the filter's target the way libobs' obs_source_process_filter_begin does: a parent that is
 * neither custom-draw nor async draws with whatever effect is current, so it needs
 * obs_source_default_render (which sets up OBS's default effect); everything else (custom-draw and
 * async sources, scenes, earlier filters in the chain) renders itself. */
static void draw_target(obs_source_t *filter, obs_source_t *target)
{
	obs_source_t *parent = obs_filter_get_parent(filter);
	const uint32_t parent_flags = parent ? obs_source_get_output_flags(parent) : 0;
	const bool custom_draw = (parent_flags & OBS_SOURCE_CUSTOM_DRAW) != 0;
	const bool async = (parent_flags & OBS_SOURCE_ASYNC) != 0;

	/* As libobs blends into its filter texture: colour over transparent black, i.e. premultiplied. */
	gs_blend_state_push();
	gs_blend_function_separate(GS_BLEND_SRCALPHA, GS_BLEND_INVSRCALPHA, GS_BLEND_ONE, GS_BLEND_INVSRCALPHA);
	if (target == parent && !custom_draw && !async)
		obs_source_default_render(target);
	else
		obs_source_video_render(target);
	gs_blend_state_pop();
}

static bool begin_pass(gs_texrender_t *texrender, uint32_t width, uint32_t height, enum gs_color_space space,
		       uint32_t cx, uint32_t cy) /* cx, cy: the target's own size */
{
	gs_texrender_reset(texrender);
	if (!gs_texrender_begin_with_color_space(texrender, width, height, space))
		return false;
	struct vec4 clear_color;
	vec4_zero(&clear_color);
	gs_clear(GS_CLEAR_COLOR, &clear_color, 0.0f, 0);
	/* The target draws in its own pixel space; the ortho scales it to the processing size. */
	gs_ortho(0.0f, (float)cx, 0.0f, (float)cy, -100.0f, 100.0f);
	return true;
}

enum gs_color_space frame_readback_target_space(obs_source_t *filter)
{
	obs_source_t *target = obs_filter_get_target(filter);
	if (!target)
		return GS_CS_SRGB;
	const enum gs_color_space preferred[] = {GS_CS_SRGB, GS_CS_SRGB_16F, GS_CS_709_EXTENDED};
	return obs_source_get_color_space(target, sizeof(preferred) / sizeof(preferred[0]), preferred);
}

/* The capture is always begun in GS_CS_SRGB: libobs then converts whatever space the target draws in,
 * as it does for an SDR canvas (tone-mapping extended-range and scRGB HDR with its DrawTonemap
 * techniques; linear 16-bit float sources encode to sRGB on write with framebuffer sRGB on). */
static bool render_target(struct frame_readback *rb, obs_source_t *filter, uint32_t width, uint32_t height)
{
	obs_source_t *target = obs_filter_get_target(filter);
	if (!target)
		return false;
	uint32_t cx = obs_source_get_base_width(target);
	uint32_t cy = obs_source_get_base_height(target);
	if (!cx || !cy)
		return false;

	if (!rb->texrender)
		rb->texrender = gs_texrender_create(GS_BGRA, GS_ZS_NONE);
	if (!rb->texrender)
		return false;

	rb->target_space = frame_readback_target_space(filter);
	if (!begin_pass(rb->texrender, width, height, GS_CS_SRGB, cx, cy))
		return false;
	draw_target(filter, target);
	gs_texrender_end(rb->texrender);
	return true;
}

bool frame_readback_capture(struct frame_readback *rb, obs_source_t *filter, uint32_t width, uint32_t height)
{
	rb->captured_this_frame = false;
	if (!render_target(rb, filter, width, height))
		return false;

	struct frame_stage *stage = take_free_stage(rb);
	if (stage->surface && (stage->width != width || stage->height != height)) {
		gs_stagesurface_destroy(stage->surface);
		stage->surface = NULL;
	}
	if (!stage->surface) {
		stage->surface = gs_stagesurface_create(width, height, GS_BGRA);
		if (!stage->surface) {
			obs_log(LOG_ERROR, "could not create a %ux%u stage surface", width, height);
			return false;
		}
		stage->width = width;
		stage->height = height;
	}

	gs_stage_texture(stage->surface, gs_texrender_get_texture(rb->texrender));
	stage->state = FRAME_STAGE_STAGED;
	stage->staged_frame = rb->frame;
	stage->capture_time_ns = os_gettime_ns();
	rb->frames_staged++;
	rb->captured_this_frame = true;
	return true;
}
