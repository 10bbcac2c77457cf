/*
 * Module entry points: registers the filter and reads the model catalogue; on unload stops model
 * downloads and joins every host link's worker (within a bound, killing hosts as the last step) so
 * no host process or worker thread outlives the module.
 */
#include <obs-module.h>
#include <util/platform.h>

#include "bridge/host-link.h"
#include "diffusion-filter.h"
#include "model-downloads.h"
#include "plugin-log.h"

OBS_DECLARE_MODULE()
OBS_MODULE_USE_DEFAULT_LOCALE("streamfx-obs", "en-US")

/* Module unload joins every link worker within this bound. A host still running after its
 * SHUTDOWN is killed at two thirds of it (a frozen host cannot hold OBS's exit), which leaves the
 * last third for the kill and the reap. */
#define UNLOAD_JOIN_MS 3000
/* A download asked to cancel at unload stops within a fraction of a second (its cancel file);
 * one still running after this is killed. */
#define UNLOAD_DOWNLOADS_MS 2000

MODULE_EXPORT const char *obs_module_description(void)
{
	return "StreamFx.Obs: real-time AI video effects";
}

bool obs_module_load(void)
{
	obs_register_source(&sfx_diffusion_filter_info);
	/* Without a usable catalogue the panel says why; the filter itself works as before. */
	sfx_model_downloads_init();
	obs_log(LOG_INFO, "loaded (version %s)", STREAMFX_VERSION);
	return true;
}

void obs_module_unload(void)
{
	uint64_t t0 = os_gettime_ns();
	sfx_model_downloads_shutdown(UNLOAD_DOWNLOADS_MS);
	if (!sfx_host_link_join_all(UNLOAD_JOIN_MS))
		obs_log(LOG_ERROR,
			"an effects host could not be reaped within %d ms (killed, but still not gone); "
			"its worker is left running",
			UNLOAD_JOIN_MS);
	obs_log(LOG_INFO, "unloaded (host workers joined in %llu ms)",
		(unsigned long long)((os_gettime_ns() - t0) / 1000000));
}
