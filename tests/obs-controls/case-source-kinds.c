/*
 * Every kind of source a streamer filters, as OBS's own plugins draw them: an image with an alpha
 * channel (image_source), a colour (color_source_v3), text (text_ft2_source_v2), a video file
 * played by the media source (ffmpeg_source: async frames), a scene used as a source, an image
 * with OBS's Color Correction filter before ours, and two of ours in one chain.
 *
 * Each kind sits on a green background in a scene. Two screenshots without our filter (over
 * black, then over green) tell per pixel whether the source is opaque or transparent there; with
 * the invert pack the output must then be 255 - input where the source is opaque, and the
 * background where it is transparent (the alpha rule). Partly transparent pixels (antialiased
 * edges) are counted, not checked.
 *
 * Over 600 lines on purpose: one case, whose kinds table, scene set-up and per-pixel checks read
 * together; the shared session code already lives in obs-session.c and case-support.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <util/bmem.h>
#include <util/dstr.h>
#include <util/platform.h>

#include "../e2e/png-writer.h"
#include "case-support.h"
#include "controls-cases.h"
#include "linear-source.h"
#include "obs-headless.h"

#define KIND_SIZE 256
/* Background colour of the stage scene (color_source_v3 stores 0xAABBGGRR). */
#define BG_ABGR 0xff00ff00u
#define BG_B    0
#define BG_G    255
#define BG_R    0

/* Frames for the picture to settle after a scene change (the output lags the render by a few). */
#define STABLE_FRAMES 3

/* Per class of pixel (opaque: inverted; transparent: the background shows). */
struct kind_limits {
	double opaque_mean;       /* mean |out - expected| per channel */
	double opaque_share;      /* share of pixels off by more than OUTLIER_DIFF */
	double transparent_mean;  /* mean |out - background| per channel */
	double transparent_share; /* share of pixels off by more than OUTLIER_DIFF */
};
#define OUTLIER_DIFF 24

/* Processing size = source size: the invert is exact up to the 8-bit round trip. */
static const struct kind_limits exact = {1.0, 0.002, 1.0, 0.002};
/* Text is 97 pixels high and the processing size is even (96): the rows are resampled on the way
 * in and out, which moves the thin horizontal strokes' edges (measured: mean 3.7, 8% of the glyph
 * pixels off by more than 24, transparent pixels next to glyphs up to 53). */
static const struct kind_limits resampled = {5.0, 0.10, 2.0, 0.02};

static bool load_obs_plugin(const char *name)
{
	char bin[512], data[512], err[512];
	snprintf(bin, sizeof(bin), "%s/%s.so", SFX_OBS_PLUGIN_DIR, name);
	snprintf(data, sizeof(data), "%s/%s", SFX_OBS_PLUGIN_DATA_DIR, name);
	if (!obs_headless_load_module(bin, data, err, sizeof(err))) {
		check_fail("OBS's own plugin '%s' did not load: %s", name, err);
		return false;
	}
	return true;
}

static void test_pattern_pixel(uint32_t x, uint32_t y, uint8_t *r, uint8_t *g, uint8_t *b)
{
	/* Smooth ramps: scaling by the filter (where a kind needs it) changes them little. */
	*r = (uint8_t)(x * 255 / (KIND_SIZE - 1));
	*g = (uint8_t)(y * 255 / (KIND_SIZE - 1));
	*b = (uint8_t)(96 + (x + y) * 64 / (KIND_SIZE - 1));
}

/* A PNG with transparent parts: a 64-pixel band on the left, a 64-pixel band at the bottom. */
static bool write_alpha_png(const char *path)
{
	uint8_t *px = bmalloc((size_t)KIND_SIZE * KIND_SIZE * 4);
	for (uint32_t y = 0; y < KIND_SIZE; y++)
		for (uint32_t x = 0; x < KIND_SIZE; x++) {
			uint8_t *p = px + ((size_t)y * KIND_SIZE + x) * 4;
			test_pattern_pixel(x, y, &p[2], &p[1], &p[0]);
			p[3] = (x < 64 || y >= KIND_SIZE - 64) ? 0 : 255;
		}
	bool ok = png_write_bgra(path, px, KIND_SIZE, KIND_SIZE, (size_t)KIND_SIZE * 4);
	bfree(px);
	if (!ok)
		check_fail("could not write %s", path);
	return ok;
}

/* A short YUV4MPEG2 video (4:4:4, 30 fps, 15 identical frames) that libavformat demuxes as it is. */
static bool write_y4m_video(const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		check_fail("could not write %s", path);
		return false;
	}
	fprintf(f, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C444\n", KIND_SIZE, KIND_SIZE);
	const size_t plane = (size_t)KIND_SIZE * KIND_SIZE;
	uint8_t *yuv = bmalloc(plane * 3);
	for (uint32_t y = 0; y < KIND_SIZE; y++)
		for (uint32_t x = 0; x < KIND_SIZE; x++) {
			uint8_t r, g, b;
			test_pattern_pixel(x, y, &r, &g, &b);
			/* BT.601 limited range; the exact matrix does not matter, the test compares against
			 * OBS's own picture of the same file. */
			double Y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
			double U = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0;
			double V = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0;
			size_t i = (size_t)y * KIND_SIZE + x;
			yuv[i] = (uint8_t)lround(Y);
			yuv[plane + i] = (uint8_t)lround(U);
			yuv[2 * plane + i] = (uint8_t)lround(V);
		}
	bool ok = true;
	for (int frame = 0; frame < 15 && ok; frame++)
		ok = fputs("FRAME\n", f) >= 0 && fwrite(yuv, 1, plane * 3, f) == plane * 3;
	bfree(yuv);
	ok = (fclose(f) == 0) && ok;
	if (!ok)
		check_fail("could not write %s", path);
	return ok;
}

static obs_source_t *create_from_json(const char *id, const char *name, const char *json)
{
	obs_data_t *s = obs_data_create_from_json(json);
	obs_source_t *src = obs_source_create(id, name, s, NULL);
	obs_data_release(s);
	if (!src)
		check_fail("could not create a '%s' source (plugin loaded?)", id);
	return src;
}

/* The stage: a green background and the source under test on top, at the top-left corner. */
struct stage {
	obs_scene_t *scene;
	obs_sceneitem_t *background;
	obs_sceneitem_t *item;
	obs_source_t *bg_source;
};

static bool stage_create(struct stage *st, obs_source_t *source)
{
	memset(st, 0, sizeof(*st));
	st->scene = obs_scene_create_private("source-kinds stage");
	struct dstr json = {0};
	dstr_printf(&json, "{\"color\":%u,\"width\":%u,\"height\":%u}", BG_ABGR, session_width(), session_height());
	st->bg_source = create_from_json("color_source_v3", "stage background", json.array);
	dstr_free(&json);
	if (!st->scene || !st->bg_source)
		return false;
	st->background = obs_scene_add(st->scene, st->bg_source);
	st->item = obs_scene_add(st->scene, source);
	obs_set_output_source(0, obs_scene_get_source(st->scene));
	return st->background && st->item;
}

static void stage_destroy(struct stage *st)
{
	obs_set_output_source(0, NULL);
	obs_scene_release(st->scene);
	obs_source_release(st->bg_source);
}

struct screenshots {
	uint8_t *over_black;
	uint8_t *over_green;
	uint8_t *filtered;
};

/* What a picture must show before it is taken. */
struct picture_want {
	uint32_t w, h;       /* the source's rectangle at the top-left */
	const uint8_t *back; /* BGR the canvas corner must show (background), NULL: anything */
};

static bool picture_ok(const uint8_t *frame, const struct picture_want *want)
{
	if (!want->back)
		return true;
	const uint32_t fw = session_width(), fh = session_height();
	const uint8_t *corner = frame + ((size_t)(fh - 1) * fw + (fw - 1)) * 4;
	if (memcmp(corner, want->back, 3) != 0)
		return false;
	/* The source has drawn: some pixel of its rectangle is not the background. */
	for (uint32_t y = 0; y < want->h; y++)
		for (uint32_t x = 0; x < want->w; x++)
			if (memcmp(frame + ((size_t)y * fw + x) * 4, want->back, 3) != 0)
				return true;
	return false;
}

/* Takes the program picture once it shows what `want` asks and has stayed the same for
 * STABLE_FRAMES frames in a row (OBS repeats frames when it lags, so a frame count alone does not
 * say that a change has reached the output). */
static bool take_picture(uint8_t *out, const struct picture_want *want, const char *what)
{
	const size_t bytes = (size_t)session_width() * session_height() * 4;
	uint64_t previous = 0;
	int stable = 0;
	const uint64_t deadline = os_gettime_ns() + (uint64_t)SETTLE_MS * 1000000ull;
	while (os_gettime_ns() < deadline) {
		if (!session_wait_frames(1, SETTLE_MS))
			break;
		session_copy_frame(out);
		uint64_t hash = frame_hash(out, bytes);
		stable = (picture_ok(out, want) && hash == previous) ? stable + 1 : 0;
		previous = hash;
		if (stable >= STABLE_FRAMES)
			return true;
	}
	check_fail("%s: the program picture did not settle within %d ms", what, SETTLE_MS);
	return false;
}

static bool take_unfiltered(struct stage *st, struct screenshots *shots, uint32_t w, uint32_t h)
{
	static const uint8_t black[3] = {0, 0, 0}, green[3] = {BG_B, BG_G, BG_R};
	const size_t bytes = (size_t)session_width() * session_height() * 4;
	shots->over_black = bmalloc(bytes);
	shots->over_green = bmalloc(bytes);
	shots->filtered = bmalloc(bytes);
	obs_sceneitem_set_visible(st->background, false);
	struct picture_want want = {w, h, black};
	if (!take_picture(shots->over_black, &want, "source over black"))
		return false;
	obs_sceneitem_set_visible(st->background, true);
	want.back = green;
	return take_picture(shots->over_green, &want, "source over green");
}

static void screenshots_free(struct screenshots *shots)
{
	bfree(shots->over_black);
	bfree(shots->over_green);
	bfree(shots->filtered);
}

struct drawn_wait {
	obs_source_t *filter;
	long long target;
};

static bool host_frames_drawn(void *arg)
{
	struct drawn_wait *w = arg;
	struct filter_stats st;
	filter_stats_read(w->filter, &st);
	return st.frames_received >= w->target;
}

/* Set once the host could not load the pack: the remaining kinds would only wait out their timeouts. */
static bool host_unusable;

static bool model_ready(void *arg)
{
	char *text, *host;
	filter_get_status(((struct drawn_wait *)arg)->filter, &text, &host);
	bool ready = strstr(host, "\"state\":\"ready\"") != NULL;
	bfree(text);
	bfree(host);
	return ready;
}

/* Waits until the model is loaded (the host passes frames through unchanged while it loads) and
 * the filter has drawn its frames for a while, then takes the filtered screenshot. */
static bool take_filtered(obs_source_t *filter, struct screenshots *shots)
{
	if (!wait_host_ready(filter, HOST_START_MS))
		return false;
	struct drawn_wait w = {filter, 0};
	if (!session_wait_until(model_ready, &w, HOST_START_MS)) {
		char *text, *host;
		filter_get_status(filter, &text, &host);
		check_fail("the invert model did not become ready within %d ms (host STATUS %s)", HOST_START_MS, host);
		bfree(text);
		bfree(host);
		host_unusable = true;
		return false;
	}
	struct filter_stats st;
	filter_stats_read(filter, &st);
	/* New host frames, each made after the model was swapped in. */
	w.target = st.frames_received + 10;
	if (!session_wait_until(host_frames_drawn, &w, HOST_START_MS)) {
		filter_stats_read(filter, &st);
		check_fail("the filter received %lld host frames (drew %lld); the effect never showed",
			   st.frames_received, st.frames_drawn);
		return false;
	}
	struct picture_want anything = {0};
	return take_picture(shots->filtered, &anything, "filtered source");
}

enum expectation { EXPECT_INVERTED, EXPECT_UNCHANGED };

/* What the output must show where the source is transparent. */
enum transparent_rule {
	TRANSPARENT_UNCHECKED,  /* the source has no transparent area */
	TRANSPARENT_BACKGROUND, /* the alpha rule: the background shows through */
	TRANSPARENT_WHITE,      /* source_alpha off: opaque, the inverted transparent black */
};

/* Checks the filtered screenshot over the source's rectangle against the unfiltered ones. */
static bool compare_kind(const char *kind, const struct screenshots *shots, uint32_t w, uint32_t h,
			 enum expectation expect, const struct kind_limits *limits, enum transparent_rule rule)
{
	const uint32_t fw = session_width();
	const uint8_t bg[3] = {BG_B, BG_G, BG_R};
	static const uint8_t white[3] = {255, 255, 255};
	const uint8_t *want_transparent = rule == TRANSPARENT_WHITE ? white : bg;
	uint64_t opaque = 0, transparent = 0, partial = 0, outliers = 0, transparent_outliers = 0;
	double sum_opaque = 0.0, sum_transparent = 0.0;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			const size_t i = ((size_t)y * fw + x) * 4;
			const uint8_t *black = shots->over_black + i, *green = shots->over_green + i,
				      *out = shots->filtered + i;
			bool is_opaque = !memcmp(black, green, 3);
			bool is_transparent = !black[0] && !black[1] && !black[2] && !memcmp(green, bg, 3);
			if (is_opaque && !is_transparent) {
				opaque++;
				int d_max = 0;
				for (int c = 0; c < 3; c++) {
					int want = expect == EXPECT_INVERTED ? 255 - black[c] : black[c];
					int d = abs((int)out[c] - want);
					sum_opaque += d;
					d_max = d > d_max ? d : d_max;
				}
				if (d_max > OUTLIER_DIFF)
					outliers++;
			} else if (is_transparent) {
				transparent++;
				int d_max = 0;
				for (int c = 0; c < 3; c++) {
					int d = abs((int)out[c] - want_transparent[c]);
					sum_transparent += d;
					d_max = d > d_max ? d : d_max;
				}
				if (d_max > OUTLIER_DIFF)
					transparent_outliers++;
			} else {
				partial++;
			}
		}
	const double mean = opaque ? sum_opaque / ((double)opaque * 3) : 0.0;
	const double outlier_share = opaque ? (double)outliers / (double)opaque : 0.0;
	const double t_mean = transparent ? sum_transparent / ((double)transparent * 3) : 0.0;
	const double t_share = transparent ? (double)transparent_outliers / (double)transparent : 0.0;
	printf("  %s (%ux%u): %llu opaque px: mean |out-expected| %.2f, %.3f%% off by >%d; %llu transparent px: mean "
	       "|out-expected| %.2f, %.3f%% off by >%d; %llu partly transparent (not checked)\n",
	       kind, w, h, (unsigned long long)opaque, mean, outlier_share * 100.0, OUTLIER_DIFF,
	       (unsigned long long)transparent, t_mean, t_share * 100.0, OUTLIER_DIFF, (unsigned long long)partial);
	CHECK(opaque >= (uint64_t)w * h / 20, "%s: only %llu opaque pixels: the source did not draw", kind,
	      (unsigned long long)opaque);
	CHECK(mean <= limits->opaque_mean && outlier_share <= limits->opaque_share,
	      "%s: output is not the %s input: mean difference %.2f (limit %.2f), %.3f%% of pixels off by >%d "
	      "(limit %.3f%%)",
	      kind, expect == EXPECT_INVERTED ? "inverted" : "unchanged", mean, limits->opaque_mean,
	      outlier_share * 100.0, OUTLIER_DIFF, limits->opaque_share * 100.0);
	if (rule != TRANSPARENT_UNCHECKED) {
		CHECK(transparent >= (uint64_t)w * h / 20, "%s: expected transparent areas, found %llu pixels", kind,
		      (unsigned long long)transparent);
		CHECK(t_mean <= limits->transparent_mean && t_share <= limits->transparent_share,
		      "%s: transparent areas of the source are not %s in the output: mean difference %.2f (limit "
		      "%.2f), %.3f%% of pixels off by >%d (limit %.3f%%)",
		      kind, rule == TRANSPARENT_WHITE ? "opaque white (source_alpha off)" : "transparent", t_mean,
		      limits->transparent_mean, t_share * 100.0, OUTLIER_DIFF, limits->transparent_share * 100.0);
	}
	return true;
}

static obs_source_t *add_invert_filter(const struct case_options *o, obs_source_t *target, const char *name,
				       const char *extra_json)
{
	struct dstr json = {0};
	dstr_printf(&json, "{\"model_dir\":\"%s\"%s%s}", o->invert_model_dir, extra_json ? "," : "",
		    extra_json ? extra_json : "");
	obs_source_t *filter = create_from_json(FILTER_ID, name, json.array);
	dstr_free(&json);
	if (filter)
		obs_source_filter_add(target, filter);
	return filter;
}

struct source_ready {
	obs_source_t *source;
};

static bool has_size(void *arg)
{
	obs_source_t *s = ((struct source_ready *)arg)->source;
	return obs_source_get_width(s) > 0 && obs_source_get_height(s) > 0;
}

static void append_filter_name(obs_source_t *parent, obs_source_t *child, void *param)
{
	(void)parent;
	struct dstr *names = param;
	dstr_catf(names, "%s%s", names->len ? " -> " : "", obs_source_get_name(child));
}

/* One kind: stage it, screenshot it plain, add the invert filter (after `before`, if given), and
 * compare. `filter_target` is what the filter goes on (the source itself, or a scene). */
static bool run_kind(const struct case_options *o, const char *kind, obs_source_t *source, obs_source_t *filter_target,
		     const char *filter_json, const struct kind_limits *limits, enum transparent_rule rule, int ours,
		     int move_up)
{
	if (host_unusable) {
		check_fail("%s: not run, the host could not load the invert pack", kind);
		return false;
	}
	struct stage st;
	struct screenshots shots = {0};
	obs_source_t *filters[2] = {NULL, NULL};
	bool ok = stage_create(&st, source);
	struct source_ready ready = {source};
	if (ok && !session_wait_until(has_size, &ready, SETTLE_MS)) {
		check_fail("%s: the source never got a size (did it load its file?)", kind);
		ok = false;
	}
	const uint32_t w = ok ? obs_source_get_width(source) : 0;
	const uint32_t h = ok ? obs_source_get_height(source) : 0;
	ok = ok && take_unfiltered(&st, &shots, w < session_width() ? w : session_width(),
				   h < session_height() ? h : session_height());
	for (int i = 0; ok && i < ours; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s: ours %d", kind, i + 1);
		filters[i] = add_invert_filter(o, filter_target, name, filter_json);
		ok = filters[i] != NULL;
	}
	/* Ours goes above filters that were on the source already (chain order: first is nearest the source). */
	for (int i = 0; ok && i < move_up; i++)
		obs_source_filter_set_order(filter_target, filters[0], OBS_ORDER_MOVE_UP);
	if (ok) {
		struct dstr chain = {0};
		obs_source_enum_filters(filter_target, append_filter_name, &chain);
		printf("  %s: filter chain (from the source) %s\n", kind, chain.array);
		dstr_free(&chain);
	}
	for (int i = 0; ok && i < ours; i++)
		ok = take_filtered(filters[i], &shots);
	ok = ok && compare_kind(kind, &shots, w < session_width() ? w : session_width(),
				h < session_height() ? h : session_height(),
				ours % 2 ? EXPECT_INVERTED : EXPECT_UNCHANGED, limits, rule);
	if (!ok && shots.filtered) {
		char path[512];
		snprintf(path, sizeof(path), "%s/source-kind-%s.png", o->work_dir, kind);
		png_write_bgra(path, shots.filtered, session_width(), session_height(), (size_t)session_width() * 4);
		fprintf(stderr, "  the filtered picture is in %s\n", path);
	}
	for (int i = 0; i < ours; i++) {
		if (filters[i]) {
			obs_source_filter_remove(filter_target, filters[i]);
			obs_source_release(filters[i]);
		}
	}
	screenshots_free(&shots);
	stage_destroy(&st);
	if (ok)
		printf("  ok: %s\n", kind);
	return ok;
}

static bool kind_image(const struct case_options *o, const char *png)
{
	struct dstr json = {0};
	dstr_printf(&json, "{\"file\":\"%s\"}", png);
	obs_source_t *image = create_from_json("image_source", "kind image", json.array);
	dstr_free(&json);
	bool ok = image &&
		  run_kind(o, "image_source", image, image, "\"resolution\":256", &exact, TRANSPARENT_BACKGROUND, 1, 0);
	obs_source_release(image);
	return ok;
}

static bool kind_image_alpha_off(const struct case_options *o, const char *png)
{
	struct dstr json = {0};
	dstr_printf(&json, "{\"file\":\"%s\"}", png);
	obs_source_t *image = create_from_json("image_source", "kind image alpha off", json.array);
	dstr_free(&json);
	bool ok = image && run_kind(o, "image_source, source_alpha off", image, image,
				    "\"resolution\":256,\"source_alpha\":false", &exact, TRANSPARENT_WHITE, 1, 0);
	obs_source_release(image);
	return ok;
}

static bool kind_color(const struct case_options *o)
{
	obs_source_t *color =
	    create_from_json("color_source_v3", "kind colour", "{\"color\":4281558783,\"width\":256,\"height\":256}");
	bool ok = color && run_kind(o, "color_source_v3", color, color, "\"resolution\":256", &exact,
				    TRANSPARENT_UNCHECKED, 1, 0);
	obs_source_release(color);
	return ok;
}

static bool kind_text(const struct case_options *o)
{
	/* White text on a transparent background: the glyphs invert to black, the rest stays green. The
	 * fixed width (640, the processing size) keeps the scale at 1 across; the height is the font's. */
	obs_source_t *text = create_from_json(
	    "text_ft2_source_v2", "kind text",
	    "{\"text\":\"StreamFx 42\",\"font\":{\"face\":\"DejaVu Sans\",\"style\":\"Book\",\"size\":96,\"flags\":0},"
	    "\"color1\":4294967295,\"color2\":4294967295,\"outline\":false,\"drop_shadow\":false,"
	    "\"custom_width\":640,\"word_wrap\":false}");
	bool ok = text && run_kind(o, "text_ft2_source_v2", text, text, "\"resolution\":640,\"fit_mode\":\"fit\"",
				   &resampled, TRANSPARENT_BACKGROUND, 1, 0);
	obs_source_release(text);
	return ok;
}

static bool kind_media(const struct case_options *o, const char *video)
{
	struct dstr json = {0};
	dstr_printf(&json,
		    "{\"local_file\":\"%s\",\"is_local_file\":true,\"looping\":true,\"restart_on_activate\":true}",
		    video);
	obs_source_t *media = create_from_json("ffmpeg_source", "kind media", json.array);
	dstr_free(&json);
	bool ok = media &&
		  run_kind(o, "ffmpeg_source", media, media, "\"resolution\":256", &exact, TRANSPARENT_UNCHECKED, 1, 0);
	obs_source_release(media);
	return ok;
}

static bool kind_scene(const struct case_options *o, const char *png)
{
	/* The filter on a scene that holds an image; the scene is the canvas size. */
	obs_scene_t *inner = obs_scene_create_private("kind scene");
	struct dstr json = {0};
	dstr_printf(&json, "{\"file\":\"%s\"}", png);
	obs_source_t *image = create_from_json("image_source", "kind scene image", json.array);
	dstr_free(&json);
	bool ok = inner && image && obs_scene_add(inner, image);
	obs_source_t *scene_source = inner ? obs_scene_get_source(inner) : NULL;
	ok = ok && run_kind(o, "scene", scene_source, scene_source, "\"resolution\":640,\"fit_mode\":\"fit\"", &exact,
			    TRANSPARENT_BACKGROUND, 1, 0);
	obs_source_release(image);
	obs_scene_release(inner);
	return ok;
}

static bool kind_image_after_color_correction(const struct case_options *o, const char *png, int ours, const char *kind)
{
	struct dstr json = {0};
	dstr_printf(&json, "{\"file\":\"%s\"}", png);
	obs_source_t *image = create_from_json("image_source", kind, json.array);
	dstr_free(&json);
	obs_source_t *cc = create_from_json("color_filter_v2", "kind colour correction",
					    "{\"gamma\":0.3,\"contrast\":0.2,\"brightness\":0.05,\"saturation\":0.4}");
	bool ok = image && cc;
	if (ok)
		obs_source_filter_add(image, cc);
	ok = ok && run_kind(o, kind, image, image, "\"resolution\":256", &exact, TRANSPARENT_BACKGROUND, ours, 0);
	if (image && cc)
		obs_source_filter_remove(image, cc);
	obs_source_release(cc);
	obs_source_release(image);
	return ok;
}

static bool kind_linear(const struct case_options *o, const char *space, const char *kind)
{
	struct dstr json = {0};
	dstr_printf(&json, "{\"width\":256,\"height\":256,\"space\":\"%s\"}", space);
	obs_source_t *linear = create_from_json(LINEAR_SOURCE_ID, kind, json.array);
	dstr_free(&json);
	bool ok =
	    linear && run_kind(o, kind, linear, linear, "\"resolution\":256", &exact, TRANSPARENT_UNCHECKED, 1, 0);
	obs_source_release(linear);
	return ok;
}

/* Ours first or in the middle of a chain: a Color Correction with its defaults (no change) after
 * ours, and optionally one that changes the picture before ours. */
static bool kind_ours_in_chain(const struct case_options *o, const char *png, bool correction_before, const char *kind)
{
	struct dstr json = {0};
	dstr_printf(&json, "{\"file\":\"%s\"}", png);
	obs_source_t *image = create_from_json("image_source", kind, json.array);
	dstr_free(&json);
	obs_source_t *before = correction_before ? create_from_json("color_filter_v2", "kind correction before",
								    "{\"gamma\":-0.4,\"contrast\":0.3}")
						 : NULL;
	obs_source_t *after = create_from_json("color_filter_v2", "kind correction after", "{}");
	bool ok = image && after && (before || !correction_before);
	if (ok && before)
		obs_source_filter_add(image, before);
	if (ok)
		obs_source_filter_add(image, after);
	ok = ok && run_kind(o, kind, image, image, "\"resolution\":256", &exact, TRANSPARENT_BACKGROUND, 1, 1);
	if (image && before)
		obs_source_filter_remove(image, before);
	if (image && after)
		obs_source_filter_remove(image, after);
	obs_source_release(before);
	obs_source_release(after);
	obs_source_release(image);
	return ok;
}

bool case_source_kinds(const struct case_options *o)
{
	static const char *const plugins[] = {"image-source", "text-freetype2", "obs-ffmpeg", "obs-filters"};
	for (size_t i = 0; i < sizeof(plugins) / sizeof(plugins[0]); i++)
		if (!load_obs_plugin(plugins[i]))
			return false;

	char png[512], video[512];
	snprintf(png, sizeof(png), "%s/source-kinds-alpha.png", o->work_dir);
	snprintf(video, sizeof(video), "%s/source-kinds-video.y4m", o->work_dir);
	if (!write_alpha_png(png) || !write_y4m_video(video))
		return false;
	linear_source_register();

	/* Every kind runs even after a failure, so one run names every kind that is wrong. */
	bool ok = true;
	ok = kind_image(o, png) && ok;
	ok = kind_image_alpha_off(o, png) && ok;
	ok = kind_color(o) && ok;
	ok = kind_text(o) && ok;
	ok = kind_media(o, video) && ok;
	ok = kind_scene(o, png) && ok;
	ok = kind_image_after_color_correction(o, png, 1, "color_filter_v2 then ours") && ok;
	ok = kind_image_after_color_correction(o, png, 2, "two of ours") && ok;
	ok = kind_ours_in_chain(o, png, false, "ours first, color_filter_v2 after") && ok;
	ok = kind_ours_in_chain(o, png, true, "ours in the middle of two color_filter_v2") && ok;
	/* Not 8-bit sRGB: linear 16-bit float, and HDR (extended range, tone-mapped by OBS). */
	ok = kind_linear(o, "srgb16f", "linear sRGB 16F") && ok;
	ok = kind_linear(o, "extended", "HDR 709 extended") && ok;
	return ok;
}
