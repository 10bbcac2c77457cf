#include "plugin-log.h"

#include <stdarg.h>
#include <stdio.h>

#define LOG_PREFIX "[streamfx-obs] "

void obs_log(int level, const char *format, ...)
{
	/* Prefix the format rather than the text so OBS formats only once. */
	char prefixed[512];
	int n = snprintf(prefixed, sizeof(prefixed), LOG_PREFIX "%s", format);
	va_list args;
	va_start(args, format);
	if (n < 0 || (size_t)n >= sizeof(prefixed)) {
		/* A format this long is a bug; still log it rather than drop the line. */
		blogva(level, format, args);
	} else {
		blogva(level, prefixed, args);
	}
	va_end(args);
}

void sfx_obs_log_link(void *ctx, enum sfx_log_level level, const char *message)
{
	(void)ctx;
	int obs_level = LOG_INFO;
	switch (level) {
	case SFX_LOG_ERROR:
		obs_level = LOG_ERROR;
		break;
	case SFX_LOG_WARNING:
		obs_level = LOG_WARNING;
		break;
	case SFX_LOG_INFO:
		obs_level = LOG_INFO;
		break;
	case SFX_LOG_DEBUG:
		obs_level = LOG_DEBUG;
		break;
	}
	blog(obs_level, LOG_PREFIX "%s", message ? message : "");
}
