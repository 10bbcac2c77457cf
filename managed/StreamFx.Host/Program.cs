using StreamFx.Bridge;

namespace StreamFx.Host;

public static class Program
{
    public const string Version = "0.1.0";
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> Main(string[] args)
    {
        TextWriter log = Console.Error;
        HostArguments arguments;
        try
        {
            arguments = HostArguments.Parse(args);
        }
        catch (ArgumentException e)
        {
            log.WriteLine($"streamfx-host: {e.Message}\n{HostArguments.Usage}");
            return HostExitCode.Usage;
        }

        if (arguments.ShowVersion)
        {
            Console.Out.WriteLine($"streamfx-host {Version} (protocol {ProtocolLayout.VersionMajor}.{ProtocolLayout.VersionMinor})");
            return HostExitCode.Ok;
        }

        FrameRegion region;
        try
        {
            region = FrameRegion.Open(arguments.Shm!);
        }
        catch (Exception e) when (e is ProtocolViolationException or IOException or ArgumentException or UnauthorizedAccessException)
        {
            log.WriteLine($"streamfx-host: refusing frame region '{arguments.Shm}': {e.Message}");
            return HostExitCode.RegionRefused;
        }

        using (region)
        {
            ControlChannel channel;
            try
            {
                channel = await ControlChannel.ConnectAsync(arguments.Control!, ConnectTimeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ArgumentException or OperationCanceledException or TimeoutException or UnauthorizedAccessException)
            {
                log.WriteLine($"streamfx-host: cannot connect to control channel '{arguments.Control}': {e.Message}");
                return HostExitCode.ControlConnectFailed;
            }

            await using (channel.ConfigureAwait(false))
            {
                using var session = new HostSession(region, channel, log);
                return await session.RunAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }
}
