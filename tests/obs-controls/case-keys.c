/* Every contract key set through obs_source_update reaches the CONFIGURE JSON with its value;
 * values out of range are clamped with a warning naming the key, the range and the value found. */
#include <stdio.h>
#include <string.h>

#include <util/bmem.h>
#include <util/dstr.h>

#include "case-support.h"
#include "controls-cases.h"

static const char *const contract_keys[] = {
    "prompt",
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
};

struct key_case {
	const char *update; /* JSON object given to obs_source_update */
	const char *expect; /* fragment the CONFIGURE JSON must then hold */
	const char *log[3]; /* fragments of the warning (NULL: no warning expected) */
};

static bool run_key_case(obs_source_t *filter, const struct key_case *c)
{
	session_log_mark();
	update_json(filter, c->update);
	if (!wait_config_has(filter, c->expect, 5000)) {
		fprintf(stderr, "  after obs_source_update(%s)\n", c->update);
		return false;
	}
	if (c->log[0]) {
		CHECK(session_log_has(c->log[0], c->log[1], c->log[2], NULL),
		      "after %s: no warning in the OBS log with '%s', '%s', '%s'", c->update, c->log[0],
		      c->log[1] ? c->log[1] : "", c->log[2] ? c->log[2] : "");
	}
	printf("  ok: %s -> %s%s\n", c->update, c->expect, c->log[0] ? " (warned)" : "");
	return true;
}

bool case_keys(const struct case_options *o)
{
	obs_source_t *source, *filter;
	struct dstr json = {0};
	dstr_printf(&json, "{\"model_dir\":\"%s\"}", o->invert_model_dir);
	bool ok = make_filtered_source("keys source", "keys filter", STILL_WIDTH, STILL_HEIGHT, 1, json.array, &source,
				       &filter);
	dstr_free(&json);
	if (!ok)
		return false;
	obs_set_output_source(0, source);
	ok = wait_host_ready(filter, HOST_START_MS) && wait_host_frames(filter, 3, HOST_START_MS);

	/* Every key is in the JSON, defaults included. */
	if (ok) {
		char *config = filter_get_config(filter);
		for (size_t i = 0; ok && i < sizeof(contract_keys) / sizeof(contract_keys[0]); i++) {
			char quoted[64];
			snprintf(quoted, sizeof(quoted), "\"%s\":", contract_keys[i]);
			if (!strstr(config, quoted)) {
				check_fail("CONFIGURE JSON lacks key %s: %s", contract_keys[i], config);
				ok = false;
			}
		}
		printf("  ok: all %zu contract keys in CONFIGURE: %s\n",
		       sizeof(contract_keys) / sizeof(contract_keys[0]), config);
		bfree(config);
	}
	struct filter_stats before;
	filter_stats_read(filter, &before);

	const struct key_case valid[] = {
	    {"{\"prompt\":\"a cat on a sofa\"}", "\"prompt\":\"a cat on a sofa\""},
	    {"{\"negative_prompt\":\"dark, \\\"noisy\\\"\"}", "\"negative_prompt\":\"dark, \\\"noisy\\\"\""},
	    {"{\"styles\":[{\"value\":\"Neon: neon glow\"},{\"value\":\"Sketch:  pencil lines \"}]}",
	     "\"styles\":[\"Neon: neon glow\",\"Sketch:  pencil lines \"]"},
	    {"{\"style_index\":1}", "\"style_index\":1,"},
	    {"{\"style_index\":1}", "\"effective_prompt\":\"a cat on a sofa, pencil lines\",\"style_name\":\"Sketch\""},
	    {"{\"strength\":0.25}", "\"strength\":0.25,"},
	    {"{\"steps\":3}", "\"steps\":3,"},
	    {"{\"guidance_scale\":7.5}", "\"guidance_scale\":7.5,"},
	    {"{\"delta\":0.5}", "\"delta\":0.5,"},
	    {"{\"cfg_type\":\"full\"}", "\"cfg_type\":\"full\""},
	    {"{\"seed\":123456}", "\"seed\":123456,"},
	    {"{\"similarity_threshold\":0.98}", "\"similarity_threshold\":0.98,"},
	    {"{\"resolution\":768}", "\"resolution\":768,"},
	    {"{\"fit_mode\":\"stretch\"}", "\"fit_mode\":\"stretch\""},
	    {"{\"execution_provider\":\"cpu\"}", "\"execution_provider\":\"cpu\""},
	    {"{\"transition_frames\":30}", "\"transition_frames\":30,"},
	    {"{\"bypass\":true}", "\"bypass\":true"},
	    {"{\"bypass\":false}", "\"bypass\":false"},
	    {"{\"style_index\":-1}", "\"effective_prompt\":\"a cat on a sofa\",\"style_name\":\"\""},
	};
	for (size_t i = 0; ok && i < sizeof(valid) / sizeof(valid[0]); i++)
		ok = run_key_case(filter, &valid[i]);

	const struct key_case clamped[] = {
	    {"{\"strength\":1.5}", "\"strength\":1,", {"setting 'strength'", "0..1", "found 1.5"}},
	    {"{\"steps\":9}", "\"steps\":4,", {"setting 'steps'", "1..4", "found 9"}},
	    {"{\"guidance_scale\":50}", "\"guidance_scale\":20,", {"setting 'guidance_scale'", "0..20", "found 50"}},
	    {"{\"delta\":-1}", "\"delta\":0,", {"setting 'delta'", "0..10", "found -1"}},
	    {"{\"cfg_type\":\"bogus\"}",
	     "\"cfg_type\":\"self\"",
	     {"setting 'cfg_type'", "none, self, initialize or full", "found 'bogus'"}},
	    {"{\"seed\":-5}", "\"seed\":0,", {"setting 'seed'", "0..2147483647", "found -5"}},
	    {"{\"similarity_threshold\":2}",
	     "\"similarity_threshold\":1,",
	     {"setting 'similarity_threshold'", "0..1", "found 2"}},
	    {"{\"resolution\":300}",
	     "\"resolution\":320,",
	     {"setting 'resolution'", "multiple of 64 in 256..1024", "found 300"}},
	    {"{\"resolution\":100}", "\"resolution\":256,", {"setting 'resolution'", "256..1024", "found 100"}},
	    {"{\"resolution\":4096}", "\"resolution\":1024,", {"setting 'resolution'", "256..1024", "found 4096"}},
	    {"{\"fit_mode\":\"zoom\"}",
	     "\"fit_mode\":\"crop\"",
	     {"setting 'fit_mode'", "crop, fit or stretch", "found 'zoom'"}},
	    {"{\"execution_provider\":\"quantum\"}",
	     "\"execution_provider\":\"auto\"",
	     {"setting 'execution_provider'", "auto, tensorrt, cuda, directml or cpu", "found 'quantum'"}},
	    {"{\"transition_frames\":1000}",
	     "\"transition_frames\":600,",
	     {"setting 'transition_frames'", "0..600", "found 1000"}},
	    {"{\"style_index\":7}", "\"style_index\":1,", {"setting 'style_index'", "0..1 (2 styles)", "found 7"}},
	    {"{\"style_index\":-3}", "\"style_index\":-1,", {"setting 'style_index'", "-1 (no style)", "found -3"}},
	};
	for (size_t i = 0; ok && i < sizeof(clamped) / sizeof(clamped[0]); i++)
		ok = run_key_case(filter, &clamped[i]);

	/* The same host took every change live: no restart, still processing, model as configured. */
	if (ok)
		ok = wait_host_frames(filter, 3, SETTLE_MS);
	if (ok) {
		struct filter_stats after;
		filter_stats_read(filter, &after);
		CHECK(after.host_pid == before.host_pid && after.restarts == 0,
		      "the host restarted while settings changed (pid %lld -> %lld, restarts %lld)", before.host_pid,
		      after.host_pid, after.restarts);
		char *text, *host;
		filter_get_status(filter, &text, &host);
		bool has_model = strstr(host, "invert") != NULL;
		printf("  host STATUS: %s\n  status line:\n%s\n", host, text);
		bfree(text);
		bfree(host);
		CHECK(has_model, "the host's STATUS does not name the configured model folder (invert pack)");
		printf("  ok: %lld CONFIGUREs sent, host pid %lld unchanged, no restart\n", after.configures_sent,
		       after.host_pid);
	}

	obs_set_output_source(0, NULL);
	obs_source_filter_remove(source, filter);
	obs_source_release(filter);
	obs_source_release(source);
	return ok;
}
