using System.Net.Sockets;
using System.Security.Cryptography;

namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// Plays the shim's part of the control channel: a Unix socket in a private 0700 folder,
/// listened on and accepted once (then unlinked), as docs/protocol.md section 1 describes.
/// </summary>
public sealed class ShimControl : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Socket _listener;
    private ControlChannel? _channel;

    private ShimControl(string directory, string socketPath, Socket listener)
    {
        _directory = directory;
        SocketPath = socketPath;
        _listener = listener;
    }

    public string SocketPath { get; }

    public ControlChannel Channel => _channel ?? throw new InvalidOperationException("no peer accepted yet");

    public static ShimControl Listen()
    {
        string directory = Directory.CreateTempSubdirectory("streamfx-test-").FullName;
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string path = Path.Combine(directory, RandomNumberGenerator.GetHexString(32, lowercase: true) + ".sock");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        return new ShimControl(directory, path, listener);
    }

    /// <summary>Accepts the one peer (bounded wait), then unlinks the socket path.</summary>
    public async Task<ControlChannel> AcceptAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        Socket peer = await _listener.AcceptAsync(cancel.Token);
        File.Delete(SocketPath);
        _channel = new ControlChannel(new NetworkStream(peer, ownsSocket: true));
        return _channel;
    }

    /// <summary>Reads messages until one of <paramref name="type"/> arrives (bounded); others are collected.</summary>
    public async Task<ControlMessage> ReadUntilAsync(MessageType type, TimeSpan timeout, List<ControlMessage>? seen = null)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            ControlMessage? message = await Channel.ReadAsync(cancel.Token);
            if (message is not ControlMessage received)
            {
                throw new InvalidOperationException($"control channel closed while waiting for {MessageFramer.Name(type)}");
            }

            seen?.Add(received);
            if (received.Type == type)
            {
                return received;
            }
        }
    }

    /// <summary>Closes the shim's end: the host sees end of stream.</summary>
    public async Task CloseAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync();
            _channel = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _listener.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
