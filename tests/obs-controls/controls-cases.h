/*
 * The controls tests, one function per CTest case. Each runs inside a started session and returns
 * false after reporting the first failed check.
 */
#pragma once

#include <stdbool.h>

struct case_options {
	const char *invert_model_dir;    /* image-effect pack that inverts colours */
	const char *diffusion_model_dir; /* stream-diffusion pack */
	const char *keys;                /* diffusion: comma-separated keys to vary */
	const char *work_dir;            /* roundtrip: where the scene collection is written */
};

bool case_keys(const struct case_options *o);
bool case_image_effect(const struct case_options *o);
bool case_hidden(const struct case_options *o);
bool case_hotkeys(const struct case_options *o);
bool case_roundtrip(const struct case_options *o);
bool case_instances(const struct case_options *o);
bool case_diffusion(const struct case_options *o);
bool case_source_kinds(const struct case_options *o);
