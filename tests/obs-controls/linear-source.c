#include "linear-source.h"

#include <string.h>

#include <util/bmem.h>

struct linear_source {
	uint32_t width, height;
	enum gs_color_space space;
	gs_texture_t *texture;
};

static const char *linear_get_name(void *type_data)
{
	(void)type_data;
	return "StreamFx controls linear";
}

static void *linear_create(obs_data_t *settings, obs_source_t *source)
{
	(void)source;
	struct linear_source *s = bzalloc(sizeof(*s));
	s->width = (uint32_t)obs_data_get_int(settings, "width");
	s->height = (uint32_t)obs_data_get_int(settings, "height");
	const char *space = obs_data_get_string(settings, "space");
	s->space = strcmp(space, "extended") == 0 ? GS_CS_709_EXTENDED : GS_CS_SRGB_16F;
	if (!s->width || !s->height || s->width > 4096 || s->height > 4096) {
		blog(LOG_ERROR, "[controls] linear source: width/height must be 1..4096, found %ux%u", s->width,
		     s->height);
		bfree(s);
		return NULL;
	}
	const float peak = s->space == GS_CS_709_EXTENDED ? 4.0f : 1.0f;
	float *pixels = bmalloc((size_t)s->width * s->height * 4 * sizeof(float));
	for (uint32_t y = 0; y < s->height; y++)
		for (uint32_t x = 0; x < s->width; x++) {
			float *p = pixels + ((size_t)y * s->width + x) * 4;
			p[0] = peak * (float)x / (float)(s->width - 1);                       /* R */
			p[1] = peak * (float)y / (float)(s->height - 1);                      /* G */
			p[2] = peak * 0.25f * (float)(x + y) / (float)(s->width + s->height); /* B */
			p[3] = 1.0f;
		}
	const uint8_t *planes[1] = {(const uint8_t *)pixels};
	obs_enter_graphics();
	s->texture = gs_texture_create(s->width, s->height, GS_RGBA32F, 1, planes, 0);
	obs_leave_graphics();
	bfree(pixels);
	return s;
}

static void linear_destroy(void *data)
{
	struct linear_source *s = data;
	obs_enter_graphics();
	gs_texture_destroy(s->texture);
	obs_leave_graphics();
	bfree(s);
}

static uint32_t linear_width(void *data)
{
	return ((struct linear_source *)data)->width;
}

static uint32_t linear_height(void *data)
{
	return ((struct linear_source *)data)->height;
}

static enum gs_color_space linear_color_space(void *data, size_t count, const enum gs_color_space *preferred)
{
	(void)count;
	(void)preferred;
	return ((struct linear_source *)data)->space;
}

static void linear_render(void *data, gs_effect_t *unused)
{
	struct linear_source *s = data;
	(void)unused;
	if (!s->texture)
		return;
	/* Linear values: an 8-bit target encodes them to sRGB on write, a float target keeps them. */
	const bool previous_srgb = gs_framebuffer_srgb_enabled();
	gs_enable_framebuffer_srgb(true);
	gs_effect_t *effect = obs_get_base_effect(OBS_EFFECT_DEFAULT);
	gs_effect_set_texture(gs_effect_get_param_by_name(effect, "image"), s->texture);
	while (gs_effect_loop(effect, "Draw"))
		gs_draw_sprite(s->texture, 0, s->width, s->height);
	gs_enable_framebuffer_srgb(previous_srgb);
}

void linear_source_register(void)
{
	struct obs_source_info info = {
	    .id = LINEAR_SOURCE_ID,
	    .type = OBS_SOURCE_TYPE_INPUT,
	    .output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_CUSTOM_DRAW | OBS_SOURCE_SRGB,
	    .get_name = linear_get_name,
	    .create = linear_create,
	    .destroy = linear_destroy,
	    .get_width = linear_width,
	    .get_height = linear_height,
	    .video_render = linear_render,
	    .video_get_color_space = linear_color_space,
	};
	obs_register_source(&info);
}
