#include "pattern-source.h"

#include <stdlib.h>
#include <string.h>

#include <util/bmem.h>
#include <util/threading.h>

#include "test-pattern.h"

#define TIME_MAP_SIZE 256

struct time_entry {
	uint64_t timestamp;
	uint32_t t;
	bool used;
};

struct pattern_source {
	obs_source_t *self;
	uint32_t width, height;
	uint32_t t;    /* frame number to draw; advanced in video_tick */
	bool uploaded; /* texture holds the pattern for uploaded_t */
	uint32_t uploaded_t;
	uint8_t *pixels;
	gs_texture_t *texture;

	pthread_mutex_t map_lock; /* written on the graphics thread, read on the video output thread */
	struct time_entry map[TIME_MAP_SIZE];
	size_t map_next;
};

static const char *pattern_get_name(void *type_data)
{
	(void)type_data;
	return "StreamFx harness pattern";
}

static void *pattern_create(obs_data_t *settings, obs_source_t *source)
{
	struct pattern_source *p = bzalloc(sizeof(*p));
	p->self = source;
	p->width = (uint32_t)obs_data_get_int(settings, "width");
	p->height = (uint32_t)obs_data_get_int(settings, "height");
	if (!p->width || !p->height || p->width > 4096 || p->height > 4096) {
		blog(LOG_ERROR, "[harness] pattern source: width/height must be 1..4096, found %ux%u", p->width,
		     p->height);
		bfree(p);
		return NULL;
	}
	p->pixels = bmalloc((size_t)p->width * p->height * 4);
	pthread_mutex_init(&p->map_lock, NULL);
	return p;
}

static void pattern_destroy(void *data)
{
	struct pattern_source *p = data;
	obs_enter_graphics();
	gs_texture_destroy(p->texture);
	obs_leave_graphics();
	pthread_mutex_destroy(&p->map_lock);
	bfree(p->pixels);
	bfree(p);
}

static uint32_t pattern_width(void *data)
{
	return ((struct pattern_source *)data)->width;
}

static uint32_t pattern_height(void *data)
{
	return ((struct pattern_source *)data)->height;
}

static void pattern_tick(void *data, float seconds)
{
	struct pattern_source *p = data;
	(void)seconds;
	p->t++;
}

static void remember_time(struct pattern_source *p, uint64_t timestamp, uint32_t t)
{
	pthread_mutex_lock(&p->map_lock);
	struct time_entry *e = &p->map[p->map_next % TIME_MAP_SIZE];
	e->timestamp = timestamp;
	e->t = t;
	e->used = true;
	p->map_next++;
	pthread_mutex_unlock(&p->map_lock);
}

static void pattern_render(void *data, gs_effect_t *unused)
{
	struct pattern_source *p = data;
	(void)unused;

	if (!p->texture) {
		p->texture = gs_texture_create(p->width, p->height, GS_BGRA, 1, NULL, GS_DYNAMIC);
		if (!p->texture)
			return;
	}
	if (!p->uploaded || p->uploaded_t != p->t) {
		pattern_fill(p->pixels, p->width, p->height, (size_t)p->width * 4, p->t);
		gs_texture_set_image(p->texture, p->pixels, p->width * 4, false);
		p->uploaded = true;
		p->uploaded_t = p->t;
		remember_time(p, obs_get_video_frame_time(), p->t);
	}

	/* Exact bytes: no sRGB conversion on the way to the framebuffer. */
	const bool previous_srgb = gs_framebuffer_srgb_enabled();
	gs_enable_framebuffer_srgb(false);
	gs_effect_t *effect = obs_get_base_effect(OBS_EFFECT_DEFAULT);
	gs_effect_set_texture(gs_effect_get_param_by_name(effect, "image"), p->texture);
	while (gs_effect_loop(effect, "Draw"))
		gs_draw_sprite(p->texture, 0, p->width, p->height);
	gs_enable_framebuffer_srgb(previous_srgb);
}

bool pattern_source_t_at(obs_source_t *source, uint64_t timestamp, uint32_t *t_out)
{
	struct pattern_source *p = obs_obj_get_data(source);
	if (!p)
		return false;
	bool found = false;
	pthread_mutex_lock(&p->map_lock);
	for (size_t i = 0; i < TIME_MAP_SIZE; i++) {
		if (p->map[i].used && p->map[i].timestamp == timestamp) {
			*t_out = p->map[i].t;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&p->map_lock);
	return found;
}

static struct obs_source_info pattern_info = {
    .id = PATTERN_SOURCE_ID,
    .type = OBS_SOURCE_TYPE_INPUT,
    /* CUSTOM_DRAW: it runs its own effect (otherwise OBS wraps video_render in the default one). */
    .output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_CUSTOM_DRAW,
    .get_name = pattern_get_name,
    .create = pattern_create,
    .destroy = pattern_destroy,
    .get_width = pattern_width,
    .get_height = pattern_height,
    .video_tick = pattern_tick,
    .video_render = pattern_render,
};

void pattern_source_register(void)
{
	obs_register_source(&pattern_info);
}
