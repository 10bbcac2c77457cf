#include "frame-output.h"

#include <string.h>

#include "plugin-log.h"

void frame_output_init(struct frame_output *out)
{
	memset(out, 0, sizeof(*out));
}

void frame_output_free(struct frame_output *out)
{
	gs_texture_destroy(out->texture);
	out->texture = NULL;
	out->has_frame = false;
}

void frame_output_reset(struct frame_output *out)
{
	out->has_frame = false;
}

bool frame_output_update(struct frame_output *out, const struct sfx_frame_view *view)
{
	enum gs_color_format format;
	if (view->format == SFX_PIXEL_BGRA8)
		format = GS_BGRA;
	else if (view->format == SFX_PIXEL_RGBA8)
		format = GS_RGBA;
	else
		return false;
	/* The link validated the slot; re-check what this code relies on, it is cheap. */
	if (!view->pixels || !view->width || !view->height || view->row_bytes < view->width * 4)
		return false;

	if (!out->texture || out->width != view->width || out->height != view->height || out->format != format) {
		gs_texture_destroy(out->texture);
		out->texture = gs_texture_create(view->width, view->height, format, 1, NULL, GS_DYNAMIC);
		if (!out->texture) {
			obs_log(LOG_ERROR, "could not create a %ux%u output texture", view->width, view->height);
			out->has_frame = false;
			return false;
		}
		out->width = view->width;
		out->height = view->height;
		out->format = format;
	}

	gs_texture_set_image(out->texture, view->pixels, view->row_bytes, false);
	out->has_frame = true;
	out->sequence = view->sequence;
	out->source_sequence = view->source_sequence;
	out->capture_time_ns = view->capture_time_ns;
	out->frames_received++;
	return true;
}

void frame_output_draw(struct frame_output *out, obs_source_t *filter, gs_effect_t *effect, gs_texture_t *alpha,
		       uint32_t cx, uint32_t cy)
{
	if (!out->has_frame || !out->texture) {
		obs_source_skip_video_filter(filter);
		return;
	}

	/* The host's bytes are 8-bit sRGB. Into an 8-bit sRGB target they are drawn as they are (exact
	 * bytes); into a linear float target (GS_CS_SRGB_16F) the sampler decodes them to linear light.
	 * libobs converts further (scRGB, extended) around this call, from the GS_CS_SRGB the filter
	 * reports for its output. */
	const bool linear_target = gs_get_color_space() != GS_CS_SRGB;
	const bool previous_srgb = gs_framebuffer_srgb_enabled();
	gs_enable_framebuffer_srgb(linear_target);

	const char *technique = "Draw";
	if (!effect) {
		effect = obs_get_base_effect(OBS_EFFECT_DEFAULT);
	} else {
		technique = alpha ? "Composite" : "Opaque";
		gs_effect_set_texture(gs_effect_get_param_by_name(effect, "alpha_image"), alpha);
	}
	gs_eparam_t *image = gs_effect_get_param_by_name(effect, "image");
	if (linear_target)
		gs_effect_set_texture_srgb(image, out->texture);
	else
		gs_effect_set_texture(image, out->texture);
	while (gs_effect_loop(effect, technique))
		gs_draw_sprite(out->texture, 0, cx, cy);

	gs_enable_framebuffer_srgb(previous_srgb);
}
