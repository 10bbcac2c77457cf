/*
 * Module entry points: registers the filter, and on unload waits for every host link's worker so
 * no host process outlives the module.
 */
#include <obs-module.h>

#include "bridge/host-link.h"
#include "diffusion-filter.h"
#include "plugin-log.h"

OBS_DECLARE_MODULE()
OBS_MODULE_USE_DEFAULT_LOCALE("streamfx-obs", "en-US")

/* Longer than a host's SHUTDOWN grace (2 s) plus the kill and reap. */
#define UNLOAD_WAIT_MS 5000

MODULE_EXPORT const char *obs_module_description(void)
{
	return "StreamFx.Obs: real-time AI video effects";
}

bool obs_module_load(void)
{
	obs_register_source(&sfx_diffusion_filter_info);
	obs_log(LOG_INFO, "loaded (version %s)", STREAMFX_VERSION);
	return true;
}

void obs_module_unload(void)
{
	if (!sfx_host_link_wait_all(UNLOAD_WAIT_MS))
		obs_log(LOG_WARNING, "some effects hosts were still stopping after %d ms", UNLOAD_WAIT_MS);
	obs_log(LOG_INFO, "unloaded");
}
