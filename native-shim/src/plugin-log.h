/*
 * Logging for the module: every line goes through OBS's log with a "[streamfx-obs]" prefix so users
 * can grep their OBS log for it.
 */
#pragma once

#include <util/base.h>

#include "bridge/host-link.h"

#ifdef __GNUC__
#define SFX_PRINTF_FORMAT(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define SFX_PRINTF_FORMAT(fmt_index, first_arg)
#endif

/* level is an OBS level: LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
void obs_log(int level, const char *format, ...) SFX_PRINTF_FORMAT(2, 3);

/* Adapter for the host link's log callback (sfx_log_fn); ctx is unused. */
void sfx_obs_log_link(void *ctx, enum sfx_log_level level, const char *message);
