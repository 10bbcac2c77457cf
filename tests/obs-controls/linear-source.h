/*
 * A source that draws in a colour space other than 8-bit sRGB, as HDR and linear sources do
 * (source id "sfx_controls_linear"): a float texture of linear-light ramps, reported as
 * GS_CS_SRGB_16F ("space": "srgb16f", values 0..1) or GS_CS_709_EXTENDED ("space": "extended",
 * values up to 4, i.e. brighter than SDR white, which OBS tone-maps for an SDR canvas).
 * Settings: "width", "height", "space".
 */
#pragma once

#include <obs.h>

#define LINEAR_SOURCE_ID "sfx_controls_linear"

void linear_source_register(void);
