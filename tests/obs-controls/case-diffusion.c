/* Keys only the diffusion pipeline uses, against the stream-diffusion pack: for each key, the
 * output must change when the key changes, and be identical again (same hash) once the key is
 * back, for the same still input. A host that passes frames through for this pack fails here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <util/bmem.h>
#include <util/dstr.h>

#include "../e2e/png-writer.h"
#include "case-support.h"
#include "controls-cases.h"
#include "still-source.h"

/* steps up to 4 keep a frame in the denoising batch for up to 4 host frames; a style switch with
 * transition_frames 0 is immediate. */
#define SETTLE_HOST_FRAMES 6
#define SETTLE_TRIES       12

struct variation {
	const char *key;
	const char *change; /* JSON applied */
	const char *restore;
	/* Settings the key only matters under (applied first, giving its own baseline), and the JSON that
	 * returns to the main baseline afterwards. NULL: the main baseline. */
	const char *context;
	const char *context_restore;
};

static const struct variation variations[] = {
    {"prompt", "{\"prompt\":\"a watercolor painting of a big city at night in the rain\"}",
     "{\"prompt\":\"a person in a room\"}"},
    /* The negative prompt feeds only the guidance passes of cfg "full" (and "initialize"); "self"
     * guidance uses no negative prompt at all, as in StreamDiffusion. */
    {"negative_prompt", "{\"negative_prompt\":\"bright, colorful, sunny\"}",
     "{\"negative_prompt\":\"blurry, low quality\"}", "{\"cfg_type\":\"full\"}", "{\"cfg_type\":\"self\"}"},
    {"style_index", "{\"style_index\":2}", "{\"style_index\":0}"},
    {"styles",
     "{\"styles\":[{\"value\":\"Anime: charcoal drawing, dark\"},{\"value\":\"Oil painting: oil painting, thick brush "
     "strokes, impressionist\"},{\"value\":\"Cyberpunk: cyberpunk, neon lights, futuristic glow\"},{\"value\":\"Pencil "
     "sketch: pencil sketch, graphite, hand-drawn lines\"}]}",
     "{\"styles\":[{\"value\":\"Anime: anime illustration, cel shading, vibrant colors\"},{\"value\":\"Oil painting: "
     "oil painting, thick brush strokes, impressionist\"},{\"value\":\"Cyberpunk: cyberpunk, neon lights, futuristic "
     "glow\"},{\"value\":\"Pencil sketch: pencil sketch, graphite, hand-drawn lines\"}]}"},
    {"strength", "{\"strength\":0.9}", "{\"strength\":0.5}"},
    {"steps", "{\"steps\":3}", "{\"steps\":1}"},
    {"guidance_scale", "{\"guidance_scale\":4.0}", "{\"guidance_scale\":1.5}"},
    {"delta", "{\"delta\":0.3}", "{\"delta\":1.0}"},
    {"cfg_type", "{\"cfg_type\":\"none\"}", "{\"cfg_type\":\"self\"}"},
    {"seed", "{\"seed\":12345}", "{\"seed\":2}"},
    {"fit_mode", "{\"fit_mode\":\"fit\"}", "{\"fit_mode\":\"crop\"}"},
    {"resolution", "{\"resolution\":384}", "{\"resolution\":256}"},
};

static const char *baseline_fmt =
    "{\"model_dir\":\"%s\",\"prompt\":\"a person in a room\",\"negative_prompt\":\"blurry, low quality\","
    "\"style_index\":0,\"strength\":0.5,\"steps\":1,\"guidance_scale\":1.5,\"delta\":1.0,\"cfg_type\":\"self\","
    "\"seed\":2,\"similarity_threshold\":0,\"resolution\":256,\"fit_mode\":\"crop\",\"transition_frames\":0}";

static void save_frame(const struct case_options *o, const char *name, const uint8_t *frame)
{
	if (!o->work_dir)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/diffusion-%s.png", o->work_dir, name);
	if (png_write_bgra(path, frame, session_width(), session_height(), (size_t)session_width() * 4))
		printf("  wrote %s\n", path);
}

/* The output once it stops moving: the hash of a program frame that equals the one after the next
 * two host frames. */
static bool settled_hash(obs_source_t *filter, uint64_t *hash, uint8_t *frame)
{
	if (!wait_host_frames(filter, SETTLE_HOST_FRAMES, HOST_START_MS))
		return false;
	size_t bytes = (size_t)session_width() * session_height() * 4;
	uint64_t previous = 0;
	for (int i = 0; i < SETTLE_TRIES; i++) {
		/* Two rendered frames after a host frame: the program shows that host frame. */
		if (!wait_host_frames(filter, 2, SETTLE_MS) || !session_wait_frames(2, SETTLE_MS))
			return false;
		session_copy_frame(frame);
		uint64_t h = frame_hash(frame, bytes);
		if (i > 0 && h == previous) {
			*hash = h;
			return true;
		}
		previous = h;
	}
	char *text, *host;
	filter_get_status(filter, &text, &host);
	check_fail("the output never settled: consecutive host frames differ for a still input and fixed settings "
		   "(%d tries); host STATUS %s",
		   SETTLE_TRIES, host);
	bfree(text);
	bfree(host);
	return false;
}

static bool key_selected(const char *keys, const char *key)
{
	if (!keys || !keys[0])
		return true;
	size_t n = strlen(key);
	for (const char *p = keys; (p = strstr(p, key)) != NULL; p += n) {
		bool start = p == keys || p[-1] == ',';
		bool end = p[n] == '\0' || p[n] == ',';
		if (start && end)
			return true;
	}
	return false;
}

static bool apply_and_settle(obs_source_t *filter, const char *what, const char *json, uint64_t *hash, uint8_t *frame)
{
	if (json)
		update_json(filter, json);
	if (!settled_hash(filter, hash, frame)) {
		fprintf(stderr, "  while settling after %s\n", what);
		return false;
	}
	return true;
}

/* How far two frames are apart: bytes that differ and the largest difference. */
static void frame_difference(const uint8_t *a, const uint8_t *b, size_t bytes, size_t *differ, int *max)
{
	*differ = 0;
	*max = 0;
	for (size_t i = 0; i < bytes; i++) {
		int d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
		if (d) {
			(*differ)++;
			if (d > *max)
				*max = d;
		}
	}
}

static uint8_t *baseline_frame;

static bool vary(const struct case_options *o, obs_source_t *filter, const char *key, const char *change,
		 const char *restore, const char *hotkey_change, const char *hotkey_restore, uint64_t baseline,
		 uint8_t *frame)
{
	uint64_t changed = 0, restored = 0;
	if (hotkey_change)
		trigger_filter_hotkey(filter, hotkey_change);
	if (!apply_and_settle(filter, key, change, &changed, frame))
		return false;
	if (changed == baseline) {
		char *text, *host;
		filter_get_status(filter, &text, &host);
		save_frame(o, key, frame);
		check_fail(
		    "output did not change when '%s' changed (%s): the host passes this pack's frames through or "
		    "ignores the key; host STATUS %s",
		    key, hotkey_change ? hotkey_change : change, host);
		bfree(text);
		bfree(host);
		return false;
	}
	if (hotkey_restore)
		trigger_filter_hotkey(filter, hotkey_restore);
	if (!apply_and_settle(filter, key, restore, &restored, frame))
		return false;
	if (restored != baseline) {
		save_frame(o, key, frame);
		size_t differ = 0;
		int max = 0;
		frame_difference(frame, baseline_frame, (size_t)session_width() * session_height() * 4, &differ, &max);
		check_fail(
		    "output not identical after '%s' was set back (%s): same settings and input gave a different "
		    "picture (hash %016llx, baseline %016llx; %zu bytes differ, by at most %d)",
		    key, hotkey_restore ? hotkey_restore : restore, (unsigned long long)restored,
		    (unsigned long long)baseline, differ, max);
		return false;
	}
	printf("  ok: %s changes the output (%016llx -> %016llx) and restores it exactly\n", key,
	       (unsigned long long)baseline, (unsigned long long)changed);
	return true;
}

/* The host passes frames through while the model loads: a baseline taken then is the input. */
static bool host_model_ready(void *arg)
{
	char *text, *host;
	filter_get_status(arg, &text, &host);
	bool ready = strstr(host, "\"state\":\"ready\"") != NULL;
	bfree(text);
	bfree(host);
	return ready;
}

static bool wait_model_ready(obs_source_t *filter)
{
	if (session_wait_until(host_model_ready, filter, HOST_START_MS))
		return true;
	char *text, *host;
	filter_get_status(filter, &text, &host);
	check_fail("the stream-diffusion model never became ready: host STATUS %s", host);
	bfree(text);
	bfree(host);
	return false;
}

bool case_diffusion(const struct case_options *o)
{
	struct dstr json = {0};
	dstr_printf(&json, baseline_fmt, o->diffusion_model_dir);
	obs_source_t *source, *filter;
	bool ok = make_filtered_source("diffusion source", "diffusion filter", STILL_WIDTH, STILL_HEIGHT, 1, json.array,
				       &source, &filter);
	dstr_free(&json);
	if (!ok)
		return false;
	obs_set_output_source(0, source);
	obs_hotkey_enable_callback_rerouting(true);
	uint8_t *frame = bmalloc((size_t)session_width() * session_height() * 4);

	uint64_t baseline = 0;
	ok = wait_host_ready(filter, HOST_START_MS) && wait_model_ready(filter) &&
	     apply_and_settle(filter, "start", NULL, &baseline, frame);
	if (ok) {
		char *text, *host;
		filter_get_status(filter, &text, &host);
		printf("  baseline %016llx; host STATUS %s\n", (unsigned long long)baseline, host);
		bfree(text);
		bfree(host);
		save_frame(o, "baseline", frame);
		baseline_frame = bmalloc((size_t)session_width() * session_height() * 4);
		memcpy(baseline_frame, frame, (size_t)session_width() * session_height() * 4);
		double d_orig, d_inv;
		enum region_kind k = region_classify(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, &d_orig, &d_inv);
		if (k == REGION_PASSTHROUGH) {
			check_fail("the output is the input unchanged (mean error %.2f): the host passes the "
				   "stream-diffusion pack's frames through",
				   d_orig);
			ok = false;
		}
	}
	int varied = 0;
	for (size_t i = 0; ok && i < sizeof(variations) / sizeof(variations[0]); i++) {
		const struct variation *v = &variations[i];
		if (!key_selected(o->keys, v->key))
			continue;
		if (!v->context) {
			ok = vary(o, filter, v->key, v->change, v->restore, NULL, NULL, baseline, frame);
			varied++;
			continue;
		}
		/* Vary the key against the baseline of its context, then come back to the main one. */
		size_t bytes = (size_t)session_width() * session_height() * 4;
		uint8_t *main_frame = bmalloc(bytes);
		memcpy(main_frame, baseline_frame, bytes);
		uint64_t context_baseline = 0, back = 0;
		ok = apply_and_settle(filter, v->context, v->context, &context_baseline, frame);
		if (ok) {
			memcpy(baseline_frame, frame, bytes);
			ok = vary(o, filter, v->key, v->change, v->restore, NULL, NULL, context_baseline, frame);
		}
		memcpy(baseline_frame, main_frame, bytes);
		bfree(main_frame);
		if (ok && (!apply_and_settle(filter, v->context_restore, v->context_restore, &back, frame) ||
			   back != baseline)) {
			check_fail("output not back to the baseline after %s", v->context_restore);
			ok = false;
		}
		varied++;
	}
	if (ok && key_selected(o->keys, "hotkeys")) {
		ok = vary(o, filter, "hotkey streamfx.style.next", NULL, NULL, "streamfx.style.next",
			  "streamfx.style.previous", baseline, frame);
		ok = ok && vary(o, filter, "hotkey streamfx.style.3", NULL, NULL, "streamfx.style.3",
				"streamfx.style.1", baseline, frame);
		varied++;
	}
	if (ok && varied == 0) {
		check_fail("--keys '%s' selects none of the known keys", o->keys);
		ok = false;
	}

	bfree(frame);
	bfree(baseline_frame);
	baseline_frame = NULL;
	obs_set_output_source(0, NULL);
	obs_source_filter_remove(source, filter);
	obs_source_release(filter);
	obs_source_release(source);
	return ok;
}
