using System.IO.Pipes;
using System.Runtime.Versioning;

namespace StreamFx.Bridge;

/// <summary>Windows: the control channel is the single-instance named pipe \\.\pipe\streamfx-&lt;hex&gt;.</summary>
[SupportedOSPlatform("windows")]
public static class WindowsControlConnector
{
    private const string PipePrefix = @"\\.\pipe\";

    public static async Task<Stream> ConnectAsync(string address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string name = address.StartsWith(PipePrefix, StringComparison.OrdinalIgnoreCase) ? address[PipePrefix.Length..] : address;
        if (name.Length == 0 || name.Contains('\\') || name.Contains('/'))
        {
            throw new ArgumentException($"control address '{address}': expected \\\\.\\pipe\\<name>");
        }

        var pipe = new NamedPipeClientStream(".", name, PipeDirection.InOut, PipeOptions.Asynchronous);
        try
        {
            await pipe.ConnectAsync(timeout, cancellationToken).ConfigureAwait(false);
            return pipe;
        }
        catch
        {
            await pipe.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
