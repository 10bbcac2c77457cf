using System.Net.Sockets;
using System.Runtime.Versioning;

namespace StreamFx.Bridge;

/// <summary>Linux/macOS: the control channel is a Unix stream socket the shim listens on.</summary>
[UnsupportedOSPlatform("windows")]
public static class UnixControlConnector
{
    public static async Task<Stream> ConnectAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(path) || !Path.IsPathRooted(path))
        {
            throw new ArgumentException($"control address '{path}': expected an absolute Unix socket path");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), timeoutSource.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
