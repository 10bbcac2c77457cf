using StreamFx.Bridge;

namespace StreamFx.Host;

public static class Program
{
    public const string Version = "0.1.0";

    public static async Task<int> Main(string[] args)
    {
        TextWriter log = Console.Error;
        if (args.Length > 0 && args[0] == "models")
            return await StreamFx.ModelHub.ModelsCommand.RunAsync(args[1..], Version, Console.Out, log, !Console.IsOutputRedirected, CancelOnCtrlC()).ConfigureAwait(false);
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

        try
        {
            return await HostRunner.RunAsync(arguments.Shm!, arguments.Control!, log, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Last resort: one clear line and a distinct status instead of a runtime crash dump.
            log.WriteLine($"streamfx-host: unexpected failure: {e}");
            return HostExitCode.Crashed;
        }
    }

    // Ctrl+C stops a models download cleanly (nothing half-installed) instead of killing the process.
    private static CancellationToken CancelOnCtrlC()
    {
        var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        return cancel.Token;
    }
}
