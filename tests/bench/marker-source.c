#include "marker-source.h"

#include <util/bmem.h>
#include <util/threading.h>

#include "test-pattern.h"

#define TIME_MAP_SIZE 256

struct time_entry {
	uint64_t timestamp;
	uint32_t t;
	bool used;
};

struct marker_source {
	uint32_t width, height;
	uint32_t t; /* advanced in video_tick */
	bool marker_uploaded;
	uint32_t marker_t;
	gs_texture_t *background, *marker;

	pthread_mutex_t map_lock; /* graphics thread writes, video output thread reads */
	struct time_entry map[TIME_MAP_SIZE];
	size_t map_next;
};

static const char *marker_get_name(void *type_data)
{
	(void)type_data;
	return "StreamFx bench marker";
}

static void *marker_create(obs_data_t *settings, obs_source_t *source)
{
	(void)source;
	struct marker_source *m = bzalloc(sizeof(*m));
	m->width = (uint32_t)obs_data_get_int(settings, "width");
	m->height = (uint32_t)obs_data_get_int(settings, "height");
	if (!m->width || !m->height || m->width > 4096 || m->height > 4096) {
		blog(LOG_ERROR, "[bench] marker source: width/height must be 1..4096, found %ux%u", m->width,
		     m->height);
		bfree(m);
		return NULL;
	}
	pthread_mutex_init(&m->map_lock, NULL);
	return m;
}

static void marker_destroy(void *data)
{
	struct marker_source *m = data;
	obs_enter_graphics();
	gs_texture_destroy(m->background);
	gs_texture_destroy(m->marker);
	obs_leave_graphics();
	pthread_mutex_destroy(&m->map_lock);
	bfree(m);
}

static uint32_t marker_width(void *data)
{
	return ((struct marker_source *)data)->width;
}

static uint32_t marker_height(void *data)
{
	return ((struct marker_source *)data)->height;
}

static void marker_tick(void *data, float seconds)
{
	(void)seconds;
	((struct marker_source *)data)->t++;
}

static bool ensure_textures(struct marker_source *m)
{
	if (!m->background) {
		uint8_t *pixels = bmalloc((size_t)m->width * m->height * 4);
		pattern_fill(pixels, m->width, m->height, (size_t)m->width * 4, 0);
		const uint8_t *planes[1] = {pixels};
		m->background = gs_texture_create(m->width, m->height, GS_BGRA, 1, planes, 0);
		bfree(pixels);
	}
	if (!m->marker)
		m->marker = gs_texture_create(PATTERN_MARKER_SIZE, PATTERN_MARKER_SIZE, GS_BGRA, 1, NULL, GS_DYNAMIC);
	return m->background && m->marker;
}

static void upload_marker(struct marker_source *m)
{
	/* The marker as test-pattern.c draws it: B = 200, G = t >> 8, R = t & 255, opaque. */
	static uint8_t block[PATTERN_MARKER_SIZE * PATTERN_MARKER_SIZE * 4];
	for (size_t i = 0; i < PATTERN_MARKER_SIZE * PATTERN_MARKER_SIZE; i++) {
		block[i * 4 + 0] = PATTERN_MARKER_BLUE;
		block[i * 4 + 1] = (uint8_t)(m->t >> 8);
		block[i * 4 + 2] = (uint8_t)m->t;
		block[i * 4 + 3] = 255;
	}
	gs_texture_set_image(m->marker, block, PATTERN_MARKER_SIZE * 4, false);
	m->marker_uploaded = true;
	m->marker_t = m->t;

	pthread_mutex_lock(&m->map_lock);
	struct time_entry *e = &m->map[m->map_next++ % TIME_MAP_SIZE];
	e->timestamp = obs_get_video_frame_time();
	e->t = m->t;
	e->used = true;
	pthread_mutex_unlock(&m->map_lock);
}

static void draw(gs_texture_t *texture, uint32_t cx, uint32_t cy)
{
	gs_effect_t *effect = obs_get_base_effect(OBS_EFFECT_DEFAULT);
	gs_effect_set_texture(gs_effect_get_param_by_name(effect, "image"), texture);
	while (gs_effect_loop(effect, "Draw"))
		gs_draw_sprite(texture, 0, cx, cy);
}

static void marker_render(void *data, gs_effect_t *unused)
{
	struct marker_source *m = data;
	(void)unused;
	if (!ensure_textures(m))
		return;
	if (!m->marker_uploaded || m->marker_t != m->t)
		upload_marker(m);
	/* Exact bytes: no sRGB conversion on the way to the framebuffer. */
	const bool previous_srgb = gs_framebuffer_srgb_enabled();
	gs_enable_framebuffer_srgb(false);
	draw(m->background, m->width, m->height);
	draw(m->marker, PATTERN_MARKER_SIZE, PATTERN_MARKER_SIZE);
	gs_enable_framebuffer_srgb(previous_srgb);
}

bool marker_source_t_at(obs_source_t *source, uint64_t timestamp, uint32_t *t_out)
{
	struct marker_source *m = obs_obj_get_data(source);
	if (!m)
		return false;
	bool found = false;
	pthread_mutex_lock(&m->map_lock);
	for (size_t i = 0; i < TIME_MAP_SIZE && !found; i++) {
		if (m->map[i].used && m->map[i].timestamp == timestamp) {
			*t_out = m->map[i].t;
			found = true;
		}
	}
	pthread_mutex_unlock(&m->map_lock);
	return found;
}

static struct obs_source_info marker_info = {
    .id = MARKER_SOURCE_ID,
    .type = OBS_SOURCE_TYPE_INPUT,
    .output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_CUSTOM_DRAW,
    .get_name = marker_get_name,
    .create = marker_create,
    .destroy = marker_destroy,
    .get_width = marker_width,
    .get_height = marker_height,
    .video_tick = marker_tick,
    .video_render = marker_render,
};

void marker_source_register(void)
{
	obs_register_source(&marker_info);
}
