/* Settings that the image-effect host acts on, seen in the output: bypass, processing size and fit
 * mode (frame sizes both ways), model folder reloads, the live status line, a hidden source, and
 * two independent instances. */
#include <stdio.h>
#include <string.h>

#include <util/bmem.h>
#include <graphics/vec2.h>
#include <util/dstr.h>

#include "case-support.h"
#include "controls-cases.h"

static bool start_inverting(const struct case_options *o, const char *name, uint32_t variant, obs_source_t **source,
			    obs_source_t **filter)
{
	struct dstr json = {0};
	dstr_printf(&json, "{\"model_dir\":\"%s\",\"resolution\":512}", o->invert_model_dir);
	char filter_name[128];
	snprintf(filter_name, sizeof(filter_name), "%s filter", name);
	bool ok =
	    make_filtered_source(name, filter_name, STILL_WIDTH, STILL_HEIGHT, variant, json.array, source, filter);
	dstr_free(&json);
	return ok;
}

struct size_wait {
	obs_source_t *filter;
	long long w, h;
};

static bool sizes_are(void *arg)
{
	struct size_wait *s = arg;
	struct filter_stats st;
	filter_stats_read(s->filter, &st);
	return st.input_width == s->w && st.input_height == s->h && st.output_width == s->w && st.output_height == s->h;
}

static bool check_sizes(obs_source_t *filter, const char *update, long long w, long long h)
{
	update_json(filter, update);
	struct size_wait s = {filter, w, h};
	if (!session_wait_until(sizes_are, &s, SETTLE_MS)) {
		struct filter_stats st;
		filter_stats_read(filter, &st);
		check_fail("after %s: frames sent %lldx%lld and returned %lldx%lld, expected %lldx%lld both ways",
			   update, st.input_width, st.input_height, st.output_width, st.output_height, w, h);
		return false;
	}
	printf("  ok: %s -> host frames %lldx%lld\n", update, w, h);
	return true;
}

struct refresh_count {
	long long signals;
};

static void on_update_properties(void *data, calldata_t *cd)
{
	(void)cd;
	((struct refresh_count *)data)->signals++;
}

static bool refreshed_once(void *arg)
{
	return ((struct refresh_count *)arg)->signals >= 1;
}

static bool check_panel(obs_source_t *filter)
{
	static const char *const keys[] = {"prompt",
					   "negative_prompt",
					   "styles",
					   "style_index",
					   "strength",
					   "steps",
					   "guidance_scale",
					   "delta",
					   "cfg_type",
					   "seed",
					   "similarity_threshold",
					   "resolution",
					   "fit_mode",
					   "model_dir",
					   "execution_provider",
					   "transition_frames",
					   "bypass",
					   "status",
					   "show_advanced",
					   "seed_randomize"};
	obs_properties_t *props = obs_source_properties(filter);
	CHECK(props, "the filter has no properties");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		CHECK(obs_properties_get(props, keys[i]), "the properties panel has no control for '%s'", keys[i]);
	obs_property_t *status = obs_properties_get(props, "status");
	const char *text = obs_property_description(status);
	printf("  panel status line:\n%s\n", text);
	CHECK(strstr(text, "Provider: cpu") && strstr(text, "Model: ") && strstr(text, "FPS: ") &&
		  strstr(text, "Latency: ") && strstr(text, "Dropped: ") && strstr(text, "Last error: "),
	      "the status line lacks provider/model/fps/latency/dropped/error: %s", text);
	/* The advanced group follows the toggle. */
	obs_property_t *advanced = obs_properties_get(props, "group_advanced");
	CHECK(advanced && !obs_property_visible(advanced), "the advanced group is visible with the toggle off");
	obs_data_t *s = obs_data_create();
	obs_data_set_bool(s, "show_advanced", true);
	obs_properties_apply_settings(props, s);
	obs_data_release(s);
	CHECK(obs_property_visible(advanced), "the advanced group stays hidden with the toggle on");
	obs_properties_destroy(props);
	printf("  ok: panel has every key, status line, advanced toggle\n");
	return true;
}

bool case_image_effect(const struct case_options *o)
{
	obs_source_t *source, *filter;
	if (!start_inverting(o, "effect source", 1, &source, &filter))
		return false;
	obs_set_output_source(0, source);
	struct refresh_count refresh = {0};
	signal_handler_connect(obs_source_get_signal_handler(filter), "update_properties", on_update_properties,
			       &refresh);

	bool ok = wait_host_ready(filter, HOST_START_MS) &&
		  wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_INVERTED, HOST_START_MS);
	struct filter_stats first;
	filter_stats_read(filter, &first);
	if (ok)
		printf("  ok: host pid %lld inverts the output\n", first.host_pid);

	/* Bypass: the input exactly, and no frames go to the host. */
	if (ok) {
		update_json(filter, "{\"bypass\":true}");
		ok = wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_PASSTHROUGH, SETTLE_MS);
	}
	if (ok) {
		struct filter_stats a, b;
		filter_stats_read(filter, &a);
		session_wait_frames(15, SETTLE_MS);
		filter_stats_read(filter, &b);
		CHECK(b.frames_published == a.frames_published, "bypass still sends frames (%lld -> %lld)",
		      a.frames_published, b.frames_published);
		update_json(filter, "{\"bypass\":false}");
		ok = wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_INVERTED, SETTLE_MS);
		if (ok)
			printf("  ok: bypass on = exact input, no frames sent; off = inverted again\n");
	}

	/* Processing size and fit mode: the frame sent keeps the 16:9 aspect (crop: short side =
	 * resolution; fit/stretch: long side), capped at 1024. */
	ok = ok && check_sizes(filter, "{\"resolution\":256}", 454, 256);
	ok = ok && check_sizes(filter, "{\"resolution\":768}", 1024, 576);
	ok = ok && check_sizes(filter, "{\"resolution\":512,\"fit_mode\":\"fit\"}", 512, 288);
	ok = ok && check_sizes(filter, "{\"fit_mode\":\"crop\"}", 910, 512);
	ok = ok && wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_INVERTED, SETTLE_MS);

	/* Model folder: a bad one is reported by the host, the good one loads again; same host. */
	if (ok) {
		update_json(filter, "{\"model_dir\":\"/nonexistent/streamfx-pack\"}");
		ok = wait_config_has(filter, "\"model_dir\":\"/nonexistent/streamfx-pack\"", 5000);
		char *text = NULL, *host = NULL;
		for (int i = 0; ok && i < 300; i++) {
			bfree(text);
			bfree(host);
			filter_get_status(filter, &text, &host);
			if (strstr(host, "streamfx-pack") && strstr(text, "Last error: none") == NULL)
				break;
			session_wait_frames(1, 1000);
		}
		if (ok && !(strstr(host, "streamfx-pack") && strstr(text, "Last error: none") == NULL)) {
			check_fail("a missing model folder is not reported: host STATUS '%s', status line:\n%s", host,
				   text);
			ok = false;
		} else if (ok) {
			printf("  ok: missing model folder reported: %s\n", host);
		}
		bfree(text);
		bfree(host);
	}
	if (ok) {
		struct dstr json = {0};
		dstr_printf(&json, "{\"model_dir\":\"%s\"}", o->invert_model_dir);
		update_json(filter, json.array);
		dstr_free(&json);
		ok = wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_INVERTED, HOST_START_MS);
	}
	if (ok) {
		struct filter_stats now;
		filter_stats_read(filter, &now);
		CHECK(now.host_pid == first.host_pid && now.restarts == 0,
		      "settings changes restarted the host (pid %lld -> %lld, restarts %lld)", first.host_pid,
		      now.host_pid, now.restarts);
		printf("  ok: model folder reloaded in the same host (pid %lld)\n", now.host_pid);
	}

	/* The panel reloads (update_properties rebuilds every widget in libobs 29, closing an open
	 * drop-down) only when the status changes in kind: never for fps/latency while frames flow,
	 * but once bypass shows, after the 2 s editing quiet time. */
	if (ok) {
		session_wait_frames(120, SETTLE_MS); /* 4 s: the model change above has settled */
		refresh.signals = 0;
		session_wait_frames(150, SETTLE_MS); /* 5 s of frames, fps and latency moving */
		long long steady = refresh.signals;
		update_json(filter, "{\"bypass\":true}");
		bool reloaded = session_wait_until(refreshed_once, &refresh, 8000);
		update_json(filter, "{\"bypass\":false}");
		if (steady != 0 || !reloaded) {
			check_fail("update_properties: %lld reloads in 5 s with nothing changed (expected 0), and %s "
				   "after bypass was set (expected one)",
				   steady, reloaded ? "one" : "none");
			ok = false;
		} else {
			printf("  ok: panel reloaded on a change in kind (bypass), not for moving fps/latency\n");
		}
		ok = ok && wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 1, REGION_INVERTED, SETTLE_MS);
	}
	ok = ok && check_panel(filter);

	signal_handler_disconnect(obs_source_get_signal_handler(filter), "update_properties", on_update_properties,
				  &refresh);
	obs_set_output_source(0, NULL);
	obs_source_filter_remove(source, filter);
	obs_source_release(filter);
	obs_source_release(source);
	return ok;
}

struct active_wait {
	obs_source_t *filter;
	long long want;
};

static bool active_is(void *arg)
{
	struct active_wait *a = arg;
	struct filter_stats st;
	filter_stats_read(a->filter, &st);
	return st.active == a->want;
}

bool case_hidden(const struct case_options *o)
{
	obs_source_t *source, *filter;
	if (!start_inverting(o, "hidden source", 2, &source, &filter))
		return false;
	obs_set_output_source(0, source);
	bool ok = wait_host_ready(filter, HOST_START_MS) &&
		  wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 2, REGION_INVERTED, HOST_START_MS);

	if (ok) {
		obs_set_output_source(0, NULL);
		struct active_wait a = {filter, 0};
		CHECK(session_wait_until(active_is, &a, 5000),
		      "the filter still reports active 5 s after its source left the output");
		ok = wait_config_has(filter, "\"active\":false", 2000);
	}
	if (ok) {
		struct filter_stats x, y;
		filter_stats_read(filter, &x);
		session_wait_frames(30, SETTLE_MS);
		filter_stats_read(filter, &y);
		CHECK(y.frames_staged == x.frames_staged && y.frames_published == x.frames_published,
		      "a hidden source still reads back (staged %lld -> %lld, sent %lld -> %lld)", x.frames_staged,
		      y.frames_staged, x.frames_published, y.frames_published);
		printf("  ok: hidden: CONFIGURE active=false, no readback, no frames sent over 30 frames\n");
		obs_set_output_source(0, source);
		struct active_wait a = {filter, 1};
		CHECK(session_wait_until(active_is, &a, 5000),
		      "the filter does not report active after the source is shown again");
		ok = wait_config_has(filter, "\"active\":true", 2000) &&
		     wait_region(0, 0, STILL_WIDTH, STILL_HEIGHT, 2, REGION_INVERTED, SETTLE_MS);
		if (ok)
			printf("  ok: shown again: active=true, inverted output\n");
	}
	obs_set_output_source(0, NULL);
	obs_source_filter_remove(source, filter);
	obs_source_release(filter);
	obs_source_release(source);
	return ok;
}

bool case_instances(const struct case_options *o)
{
	/* Two 320x360 sources side by side, each with its own filter and host. */
	obs_source_t *sa, *fa, *sb, *fb;
	struct dstr ja = {0}, jb = {0};
	dstr_printf(&ja, "{\"model_dir\":\"%s\",\"resolution\":256,\"prompt\":\"left\"}", o->invert_model_dir);
	dstr_printf(&jb, "{\"model_dir\":\"%s\",\"resolution\":512,\"prompt\":\"right\",\"bypass\":true}",
		    o->invert_model_dir);
	bool ok = make_filtered_source("left", "left filter", 320, 360, 3, ja.array, &sa, &fa) &&
		  make_filtered_source("right", "right filter", 320, 360, 4, jb.array, &sb, &fb);
	dstr_free(&ja);
	dstr_free(&jb);
	if (!ok)
		return false;
	obs_scene_t *scene = obs_scene_create("instances scene");
	obs_scene_add(scene, sa);
	obs_sceneitem_t *item_b = obs_scene_add(scene, sb);
	struct vec2 pos;
	vec2_set(&pos, 320.0f, 0.0f);
	obs_sceneitem_set_pos(item_b, &pos);
	obs_set_output_source(0, obs_scene_get_source(scene));

	ok = wait_host_ready(fa, HOST_START_MS) && wait_host_ready(fb, HOST_START_MS) &&
	     wait_region(0, 0, 320, 360, 3, REGION_INVERTED, HOST_START_MS) &&
	     wait_region(320, 0, 320, 360, 4, REGION_PASSTHROUGH, SETTLE_MS);
	struct filter_stats a, b;
	filter_stats_read(fa, &a);
	filter_stats_read(fb, &b);
	if (ok) {
		CHECK(a.host_pid > 0 && b.host_pid > 0 && a.host_pid != b.host_pid,
		      "the two filters do not have a host each (pids %lld, %lld)", a.host_pid, b.host_pid);
		printf("  ok: left inverted (host %lld), right bypassed (host %lld)\n", a.host_pid, b.host_pid);
	}
	if (ok) {
		update_json(fa, "{\"bypass\":true}");
		update_json(fb, "{\"bypass\":false}");
		ok = wait_region(0, 0, 320, 360, 3, REGION_PASSTHROUGH, SETTLE_MS) &&
		     wait_region(320, 0, 320, 360, 4, REGION_INVERTED, HOST_START_MS);
		if (ok)
			printf("  ok: swapped: left bypassed, right inverted\n");
	}
	if (ok) {
		char *before_b = filter_get_config(fb);
		update_json(fa, "{\"prompt\":\"changed left\",\"seed\":99,\"resolution\":384}");
		ok = wait_config_has(fa, "\"prompt\":\"changed left\"", 5000);
		session_wait_frames(5, SETTLE_MS);
		char *after_b = filter_get_config(fb);
		bool same = strcmp(before_b, after_b) == 0;
		bool right_prompt = strstr(after_b, "\"prompt\":\"right\"") != NULL;
		bfree(before_b);
		bfree(after_b);
		CHECK(ok && same && right_prompt, "changing the left filter changed the right filter's CONFIGURE");
		printf("  ok: left's settings change leaves right's CONFIGURE as it was\n");
	}
	if (ok) {
		struct filter_stats a2, b2;
		filter_stats_read(fa, &a2);
		filter_stats_read(fb, &b2);
		(void)a2;
		/* Right (320x360, crop at 512): short side 320 -> 512, so 512x576, untouched by left's 384. */
		CHECK(b2.input_width == 512 && b2.input_height == 576,
		      "right's frames are %lldx%lld, expected 512x576 (its own processing size)", b2.input_width,
		      b2.input_height);
		printf("  ok: right still sends 512x576 frames\n");
	}

	obs_set_output_source(0, NULL);
	obs_source_remove(obs_scene_get_source(scene));
	obs_scene_release(scene);
	obs_source_filter_remove(sa, fa);
	obs_source_filter_remove(sb, fb);
	obs_source_release(fa);
	obs_source_release(fb);
	obs_source_release(sa);
	obs_source_release(sb);
	return ok;
}
