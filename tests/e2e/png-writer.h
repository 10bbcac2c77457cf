/*
 * A minimal PNG writer (8-bit RGBA, zlib "stored" blocks: no compression) so the demo can save
 * frames without pulling in an image library.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes a BGRA image (row_bytes per row) as an RGBA PNG. Returns false with errno set on I/O
 * failure. */
bool png_write_bgra(const char *path, const uint8_t *bgra, uint32_t width, uint32_t height, size_t row_bytes);
