/*
 * A still input for the controls tests (source id "sfx_controls_still"): the same picture every
 * frame, so "identical settings + identical input give identical output" can be checked.
 * Settings: "width", "height", "variant" (picks one of several pictures).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <obs.h>

#define STILL_SOURCE_ID "sfx_controls_still"

void still_source_register(void);

/* The picture the source draws (BGRA, row_bytes per row). */
void still_fill(uint8_t *bgra, uint32_t width, uint32_t height, size_t row_bytes, uint32_t variant);
