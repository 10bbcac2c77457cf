using StreamFx.Bridge;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

/// <summary>
/// Everything streamfx-host does after parsing its arguments (docs/protocol.md section 1): open
/// and validate the region, start the heartbeat, connect, run the session. Tests run this in
/// process, so they exercise the same path as the binary.
/// </summary>
public static class HostRunner
{
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <param name="loader">Builds effects for model folders (null: <see cref="EffectFactory.Create"/>); tests inject slow or counting ones.</param>
    /// <param name="time">The clock for unloading hidden models (null: the system clock); tests inject a manual one.</param>
    public static async Task<int> RunAsync(string shm, string control, TextWriter log, CancellationToken cancellationToken, EffectLoader? loader = null, TimeProvider? time = null)
    {
        FrameRegion region;
        try
        {
            region = FrameRegion.Open(shm);
        }
        catch (Exception e) when (e is ProtocolViolationException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            log.WriteLine($"streamfx-host: refusing frame region '{shm}': {e.Message}");
            return HostExitCode.RegionRefused;
        }

        using (region)
        using (new HeartbeatTimer(region))
        {
            ControlChannel channel;
            try
            {
                channel = await ControlChannel.ConnectAsync(control, ConnectTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ArgumentException or OperationCanceledException or TimeoutException or UnauthorizedAccessException)
            {
                log.WriteLine($"streamfx-host: cannot connect to control channel '{control}': {e.Message}");
                region.HostState = HostState.Stopping;
                return HostExitCode.ControlConnectFailed;
            }

            await using (channel.ConfigureAwait(false))
            {
                using var session = new HostSession(region, channel, log, loader, time);
                return await session.RunAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
