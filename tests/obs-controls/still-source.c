#include "still-source.h"

#include <math.h>
#include <string.h>

#include <util/bmem.h>

struct still_source {
	uint32_t width, height, variant;
	gs_texture_t *texture;
};

void still_fill(uint8_t *bgra, uint32_t width, uint32_t height, size_t row_bytes, uint32_t variant)
{
	/* Smooth gradients (resampling keeps them close) plus a soft disc whose place and colour
	 * depend on the variant: structure for an img2img model to work on. */
	const double cx = width * (0.3 + 0.1 * (variant % 5)), cy = height * 0.5;
	const double radius = (width < height ? width : height) * 0.3;
	for (uint32_t y = 0; y < height; y++) {
		uint8_t *row = bgra + y * row_bytes;
		for (uint32_t x = 0; x < width; x++) {
			double b = 255.0 * x / (width > 1 ? width - 1 : 1);
			double g = 255.0 * y / (height > 1 ? height - 1 : 1);
			double r = 128.0 + 100.0 * sin((x + 2.0 * y) * 6.283185307 / width + variant);
			double d = sqrt((x - cx) * (x - cx) + (y - cy) * (y - cy));
			double w = 1.0 / (1.0 + exp((d - radius) / 6.0)); /* soft edge */
			double disc_r = (variant * 97) % 256, disc_g = (variant * 53 + 128) % 256, disc_b = 40;
			row[x * 4 + 0] = (uint8_t)lround(b * (1 - w) + disc_b * w);
			row[x * 4 + 1] = (uint8_t)lround(g * (1 - w) + disc_g * w);
			row[x * 4 + 2] = (uint8_t)lround(r * (1 - w) + disc_r * w);
			row[x * 4 + 3] = 255;
		}
	}
}

static const char *still_get_name(void *type_data)
{
	(void)type_data;
	return "StreamFx controls still";
}

static void *still_create(obs_data_t *settings, obs_source_t *source)
{
	(void)source;
	struct still_source *s = bzalloc(sizeof(*s));
	s->width = (uint32_t)obs_data_get_int(settings, "width");
	s->height = (uint32_t)obs_data_get_int(settings, "height");
	s->variant = (uint32_t)obs_data_get_int(settings, "variant");
	if (!s->width || !s->height || s->width > 4096 || s->height > 4096) {
		blog(LOG_ERROR, "[controls] still source: width/height must be 1..4096, found %ux%u", s->width,
		     s->height);
		bfree(s);
		return NULL;
	}
	uint8_t *pixels = bmalloc((size_t)s->width * s->height * 4);
	still_fill(pixels, s->width, s->height, (size_t)s->width * 4, s->variant);
	const uint8_t *planes[1] = {pixels};
	obs_enter_graphics();
	s->texture = gs_texture_create(s->width, s->height, GS_BGRA, 1, planes, 0);
	obs_leave_graphics();
	bfree(pixels);
	return s;
}

static void still_destroy(void *data)
{
	struct still_source *s = data;
	obs_enter_graphics();
	gs_texture_destroy(s->texture);
	obs_leave_graphics();
	bfree(s);
}

static uint32_t still_width(void *data)
{
	return ((struct still_source *)data)->width;
}

static uint32_t still_height(void *data)
{
	return ((struct still_source *)data)->height;
}

static void still_render(void *data, gs_effect_t *unused)
{
	struct still_source *s = data;
	(void)unused;
	if (!s->texture)
		return;
	/* Exact bytes: no sRGB conversion on the way to the framebuffer. */
	const bool previous_srgb = gs_framebuffer_srgb_enabled();
	gs_enable_framebuffer_srgb(false);
	gs_effect_t *effect = obs_get_base_effect(OBS_EFFECT_DEFAULT);
	gs_effect_set_texture(gs_effect_get_param_by_name(effect, "image"), s->texture);
	while (gs_effect_loop(effect, "Draw"))
		gs_draw_sprite(s->texture, 0, s->width, s->height);
	gs_enable_framebuffer_srgb(previous_srgb);
}

void still_source_register(void)
{
	struct obs_source_info info = {
	    .id = STILL_SOURCE_ID,
	    .type = OBS_SOURCE_TYPE_INPUT,
	    .output_flags = OBS_SOURCE_VIDEO | OBS_SOURCE_CUSTOM_DRAW,
	    .get_name = still_get_name,
	    .create = still_create,
	    .destroy = still_destroy,
	    .get_width = still_width,
	    .get_height = still_height,
	    .video_render = still_render,
	};
	obs_register_source(&info);
}
