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
}

void frame_readback_discard(struct frame_readback *rb)
{
	for (int i = 0; i < FRAME_READBACK_RING; i++) {
		if (rb->ring[i].state == FRAME_STAGE_STAGED)
			rb->frames_dropped++;
		rb->ring[i].state = FRAME_STAGE_FREE;
	}
}

static bool copy_into_slot(struct frame_stage *stage, uint8_t *slot, size_t capacity)
{
	uint8_t *data = NULL;
	uint32_t linesize = 0;
	const size_t row_bytes = (size_t)stage->width * 4;
	if (row_bytes * stage->height > capacity) {
		obs_log(LOG_ERROR, "input slot holds %zu bytes, frame needs %zu (%ux%u)", capacity,
			row_bytes * stage->height, stage->width, stage->height);
		return false;
	}
	if (!gs_stagesurface_map(stage->surface, &data, &linesize))
		return false;
	if (linesize < row_bytes) {
		gs_stagesurface_unmap(stage->surface);
		obs_log(LOG_ERROR, "stage surface linesize %u is smaller than a row (%zu bytes)", linesize, row_bytes);
		return false;
	}
	/* Row by row: the driver may pad rows, the slot does not. */
	for (uint32_t y = 0; y < stage->height; y++)
		memcpy(slot + y * row_bytes, data + (size_t)y * linesize, row_bytes);
	gs_stagesurface_unmap(stage->surface);
	return true;
}

bool frame_readback_publish(struct frame_readback *rb, struct sfx_host_link *link)
{
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

	size_t capacity = 0;
	uint8_t *slot = sfx_host_link_input_begin(link, &capacity);
	bool published = false;
	if (slot && copy_into_slot(newest, slot, capacity)) {
		rb->last_sequence = sfx_host_link_input_publish(link, newest->width, newest->height, newest->width * 4,
								SFX_PIXEL_BGRA8, newest->capture_time_ns);
		rb->last_published_frame = newest->staged_frame;
		rb->frames_published++;
		published = true;
	} else {
		rb->frames_dropped++;
	}
	newest->state = FRAME_STAGE_FREE;
	return published;
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

	gs_texrender_reset(rb->texrender);
	if (!gs_texrender_begin(rb->texrender, width, height))
		return false;

	struct vec4 clear_color;
	vec4_zero(&clear_color);
	gs_clear(GS_CLEAR_COLOR, &clear_color, 0.0f, 0);
	/* The target draws in its own pixel space; the ortho scales it to the processing size. */
	gs_ortho(0.0f, (float)cx, 0.0f, (float)cy, -100.0f, 100.0f);
	gs_blend_state_push();
	gs_blend_function(GS_BLEND_ONE, GS_BLEND_ZERO);
	obs_source_video_render(target);
	gs_blend_state_pop();
	gs_texrender_end(rb->texrender);
	return true;
}

bool frame_readback_capture(struct frame_readback *rb, obs_source_t *filter, uint32_t width, uint32_t height)
{
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
	return true;
}
