/*
 * Layout constants and structs of bridge protocol 1.0 (docs/protocol.md). The structs mirror the
 * shared-memory and wire layouts byte for byte; the static_asserts below pin every offset so a
 * compiler or edit that changes the layout fails the build instead of the peer.
 */
#pragma once

#include <assert.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "protocol 1.0 is little-endian; this code stores fields in native order"
#endif

#define SFX_REGION_MAGIC       0x4F584653u /* "SFXO" */
#define SFX_PROTOCOL_MAJOR     1
#define SFX_PROTOCOL_MINOR     0
#define SFX_REGION_HEADER_SIZE 256u
#define SFX_SLOT_COUNT         3u
#define SFX_SLOT_HEADER_SIZE   64u
#define SFX_SLOT_ALIGN         64u
#define SFX_MAX_DIMENSION      8192u
#define SFX_MAX_PAYLOAD        65536u
#define SFX_MSG_HEADER_SIZE    8u
#define SFX_LOG_TEXT_MAX       4096u

/* Triple-buffer exchange word (section 3). */
#define SFX_XCHG_INDEX_MASK    3u
#define SFX_XCHG_FRESH         4u
#define SFX_XCHG_INITIAL       1u /* middle = 1, not fresh; writer back = 0, reader front = 2 */
#define SFX_XCHG_INITIAL_BACK  0u
#define SFX_XCHG_INITIAL_FRONT 2u

enum sfx_host_state { SFX_HOST_STARTING = 0, SFX_HOST_READY = 1, SFX_HOST_STOPPING = 2 };

enum sfx_msg_type {
	SFX_MSG_HELLO = 1,
	SFX_MSG_CONFIGURE = 2,
	SFX_MSG_FRAME_READY = 3,
	SFX_MSG_FRAME_DONE = 4,
	SFX_MSG_STATUS = 5,
	SFX_MSG_LOG = 6,
	SFX_MSG_SHUTDOWN = 7,
};

struct sfx_region_header {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t header_size;
	uint32_t slot_count;
	uint32_t slot_stride;
	uint32_t max_width;
	uint32_t max_height;
	uint32_t reserved0;
	uint64_t region_size;
	_Atomic uint32_t input_exchange;
	_Atomic uint32_t output_exchange;
	_Atomic uint32_t host_state;
	_Atomic uint32_t host_heartbeat;
	uint8_t reserved[200];
};

struct sfx_slot_header {
	uint32_t sequence;
	uint32_t source_sequence;
	uint32_t width;
	uint32_t height;
	uint32_t row_bytes;
	uint32_t pixel_format;
	uint64_t capture_time_ns;
	uint32_t process_us;
	uint8_t reserved[28];
};

static_assert(sizeof(_Atomic uint32_t) == 4, "atomic u32 must be 4 bytes");
static_assert(offsetof(struct sfx_region_header, magic) == 0, "magic");
static_assert(offsetof(struct sfx_region_header, version_major) == 4, "version_major");
static_assert(offsetof(struct sfx_region_header, version_minor) == 6, "version_minor");
static_assert(offsetof(struct sfx_region_header, header_size) == 8, "header_size");
static_assert(offsetof(struct sfx_region_header, slot_count) == 12, "slot_count");
static_assert(offsetof(struct sfx_region_header, slot_stride) == 16, "slot_stride");
static_assert(offsetof(struct sfx_region_header, max_width) == 20, "max_width");
static_assert(offsetof(struct sfx_region_header, max_height) == 24, "max_height");
static_assert(offsetof(struct sfx_region_header, reserved0) == 28, "reserved0");
static_assert(offsetof(struct sfx_region_header, region_size) == 32, "region_size");
static_assert(offsetof(struct sfx_region_header, input_exchange) == 40, "input_exchange");
static_assert(offsetof(struct sfx_region_header, output_exchange) == 44, "output_exchange");
static_assert(offsetof(struct sfx_region_header, host_state) == 48, "host_state");
static_assert(offsetof(struct sfx_region_header, host_heartbeat) == 52, "host_heartbeat");
static_assert(offsetof(struct sfx_region_header, reserved) == 56, "reserved");
static_assert(sizeof(struct sfx_region_header) == SFX_REGION_HEADER_SIZE, "region header size");

static_assert(offsetof(struct sfx_slot_header, sequence) == 0, "sequence");
static_assert(offsetof(struct sfx_slot_header, source_sequence) == 4, "source_sequence");
static_assert(offsetof(struct sfx_slot_header, width) == 8, "width");
static_assert(offsetof(struct sfx_slot_header, height) == 12, "height");
static_assert(offsetof(struct sfx_slot_header, row_bytes) == 16, "row_bytes");
static_assert(offsetof(struct sfx_slot_header, pixel_format) == 20, "pixel_format");
static_assert(offsetof(struct sfx_slot_header, capture_time_ns) == 24, "capture_time_ns");
static_assert(offsetof(struct sfx_slot_header, process_us) == 32, "process_us");
static_assert(offsetof(struct sfx_slot_header, reserved) == 36, "slot reserved");
static_assert(sizeof(struct sfx_slot_header) == SFX_SLOT_HEADER_SIZE, "slot header size");

/* Serial-number arithmetic (section 4): a is newer than b. */
static inline int sfx_seq_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
