/*
 * The frame region (protocol section 2) and its two triple buffers (section 3): header
 * initialisation by the shim, validation by either side, slot addressing and slot validation.
 * Everything read from the region is copied into a local before it is checked and used.
 */
#pragma once

#include "protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sfx_direction { SFX_DIR_INPUT = 0, SFX_DIR_OUTPUT = 1 };

/* Slot stride for the given maximum frame size (64-byte aligned), 0 when out of range. */
uint32_t sfx_region_slot_stride(uint32_t max_width, uint32_t max_height);
/* 256 + 6 * stride. */
uint64_t sfx_region_total_size(uint32_t slot_stride);

/* Writes a fresh header (exchange words in their initial state, host words 0) into `base`.
 * Fails with a message when the dimensions or the mapped size do not fit. */
bool sfx_region_init(void *base, size_t mapped_size, uint32_t max_width, uint32_t max_height, char *err,
		     size_t err_cap);

/* How many bytes a mapping of the region may exceed region_size on this OS: Windows reports a view
 * rounded up to whole pages (VirtualQuery), POSIX the exact object size (docs/protocol.md 5.2). */
#ifdef _WIN32
#define SFX_REGION_MAPPED_SLACK 4095u
#else
#define SFX_REGION_MAPPED_SLACK 0u
#endif

/* Checks every header field against section 2 (the host's check before it runs), with this OS's
 * mapped-size slack. On failure `err` names the field, the expected and the found value. */
bool sfx_region_validate(const void *base, size_t mapped_size, char *err, size_t err_cap);
/* The same with an explicit slack: region_size <= mapped_size <= region_size + mapped_slack. */
bool sfx_region_validate_mapping(const void *base, size_t mapped_size, size_t mapped_slack, char *err, size_t err_cap);

/* Puts both exchange words back to their initial state and clears host_state/host_heartbeat, for
 * a new host session. Only call while no host is attached. */
void sfx_region_reset_exchange(void *base);

static inline struct sfx_region_header *sfx_region_header(void *base)
{
	return (struct sfx_region_header *)base;
}

/* Address of slot `index` (0..2) of a direction; the header must have been validated. */
uint8_t *sfx_region_slot(void *base, uint32_t slot_stride, enum sfx_direction dir, uint32_t index);

/* Validates a slot header copy for the given region limits (section 2, slot table). */
bool sfx_slot_validate(const struct sfx_slot_header *slot, uint32_t max_width, uint32_t max_height,
		       uint32_t slot_stride, char *err, size_t err_cap);

/* ---- Triple buffer ---------------------------------------------------------------------------- */

struct sfx_triple_writer {
	_Atomic uint32_t *word;
	uint32_t back;
};

struct sfx_triple_reader {
	_Atomic uint32_t *word;
	uint32_t front;
};

void sfx_triple_writer_init(struct sfx_triple_writer *w, _Atomic uint32_t *word);
void sfx_triple_reader_init(struct sfx_triple_reader *r, _Atomic uint32_t *word);

/* Publishes the back slot; afterwards w->back is the new back slot. Returns false on a violation
 * (the word came back with reserved bits, an index > 2 or our own slot). */
bool sfx_triple_publish(struct sfx_triple_writer *w, char *err, size_t err_cap);

/* 1: a new frame is now in r->front; 0: nothing new; -1: violation (err filled). */
int sfx_triple_take(struct sfx_triple_reader *r, char *err, size_t err_cap);
