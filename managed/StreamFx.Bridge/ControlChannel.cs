using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace StreamFx.Bridge;

/// <summary>
/// Length-prefixed control messages over a byte stream (a Unix socket or a named pipe), framed
/// with System.IO.Pipelines. Reads come from one reader at a time; sends are serialised, so a
/// timer and a loop may both send.
/// </summary>
public sealed class ControlChannel : IAsyncDisposable
{
    private readonly Stream? _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private ReadOnlySequence<byte> _pending;
    private bool _hasPending;
    private bool _completed;

    public ControlChannel(Stream stream)
        : this(
            PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true)),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true)),
            stream)
    {
    }

    /// <summary>A channel over in-memory pipes (tests, or a transport that is already a pipe).</summary>
    public ControlChannel(PipeReader reader, PipeWriter writer)
        : this(reader, writer, null)
    {
    }

    private ControlChannel(PipeReader reader, PipeWriter writer, Stream? stream)
    {
        _reader = reader;
        _writer = writer;
        _stream = stream;
    }

    /// <summary>Connects to the shim's channel at <paramref name="address"/> (socket path or pipe name) for this OS.</summary>
    public static async Task<ControlChannel> ConnectAsync(string address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Stream stream = OperatingSystem.IsWindows()
            ? await WindowsControlConnector.ConnectAsync(address, timeout, cancellationToken).ConfigureAwait(false)
            : await UnixControlConnector.ConnectAsync(address, timeout, cancellationToken).ConfigureAwait(false);
        return new ControlChannel(stream);
    }

    /// <summary>
    /// Returns the next known message, or null at a clean end of stream (the peer closed between
    /// messages). Unknown types are skipped. Throws <see cref="ProtocolViolationException"/> on a
    /// violation, including a stream that ends inside a message.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))] // no allocation per awaited read
    public async ValueTask<ControlMessage?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (TryReadBuffered(out ControlMessage message))
            {
                return message;
            }

            if (_completed)
            {
                return null;
            }

            ReadResult result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _pending = result.Buffer;
            _hasPending = true;
            _completed = result.IsCompleted;
        }
    }

    /// <summary>
    /// Reads the next message only if it is already buffered (no waiting). Lets a loop drain a
    /// burst of FRAME_READY wake-ups before doing one frame's work.
    /// </summary>
    public bool TryReadBuffered(out ControlMessage message)
    {
        message = default;
        if (!_hasPending)
        {
            // Still asked after completion: the pipe keeps handing back what is left unconsumed.
            if (!_reader.TryRead(out ReadResult result))
            {
                return false;
            }

            _pending = result.Buffer;
            _hasPending = true;
            _completed |= result.IsCompleted;
        }

        ReadOnlySequence<byte> buffer = _pending;
        while (true)
        {
            FramingResult framing = MessageFramer.TryRead(ref buffer, out message);
            if (framing == FramingResult.Skipped)
            {
                continue;
            }

            if (framing == FramingResult.Message)
            {
                _reader.AdvanceTo(buffer.Start, buffer.Start);
                _hasPending = false;
                return true;
            }

            // NeedMore: hand the partial message back to the pipe and wait for the rest.
            if (_completed && buffer.Length != 0)
            {
                throw new ProtocolViolationException("control stream", "whole messages before end of stream", $"{buffer.Length} bytes of a truncated message");
            }

            _reader.AdvanceTo(buffer.Start, buffer.End);
            _hasPending = false;
            return false;
        }
    }

    /// <summary>Encodes and flushes one message.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ControlMessage message, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MessageWriter.Write(_writer, message);
            FlushResult result = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                throw new IOException("control channel: the peer stopped reading");
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        try
        {
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The peer is already gone; nothing left to flush to.
        }

        if (_stream is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }

        _sendLock.Dispose();
    }
}
