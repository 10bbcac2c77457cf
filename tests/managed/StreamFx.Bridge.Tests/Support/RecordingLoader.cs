using System.Collections.Concurrent;
using StreamFx.Bridge;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Host.Effects;

namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// An <see cref="EffectLoader"/> over the real <see cref="EffectFactory"/> that counts loads, can hold
/// a folder's load on a gate the test opens or the host cancels (a deterministic slow load, no sleeping), and wraps every
/// effect so the test sees which instance ran frames and when it was disposed.
/// </summary>
public sealed class RecordingLoader
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<TrackedEffect>> _finished = new();
    private int _calls;

    /// <summary>The progress line a held load reports (as a TensorRT build reports its progress).</summary>
    public const string HeldProgress = "held by the test";

    /// <summary>Loads asked for so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Every effect built, in order.</summary>
    public ConcurrentQueue<TrackedEffect> Effects { get; } = new();

    /// <summary>Makes loads of <paramref name="modelDir"/> wait until the returned gate is opened.</summary>
    public TaskCompletionSource Hold(string modelDir) =>
        _gates.GetOrAdd(modelDir, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Completes when a load of <paramref name="modelDir"/> has returned its effect.</summary>
    public Task<TrackedEffect> Finished(string modelDir) => FinishedSource(modelDir).Task;

    public EffectLoad Load(EffectRequest request)
    {
        Interlocked.Increment(ref _calls);
        if (request.ModelDir is not null && _gates.TryGetValue(request.ModelDir, out TaskCompletionSource? gate))
        {
            request.Progress?.Invoke(HeldProgress);
            // A superseded load is cancelled: it stops waiting (OperationCanceledException), as a real loader stops early.
            if (!gate.Task.Wait((int)ShimSession.Timeout.TotalMilliseconds, request.Cancellation))
            {
                throw new TimeoutException($"the test never opened the gate for '{request.ModelDir}'");
            }
        }

        EffectLoad load = EffectFactory.Create(request);
        var tracked = new TrackedEffect(load.Effect);
        Effects.Enqueue(tracked);
        if (request.ModelDir is not null)
        {
            FinishedSource(request.ModelDir).TrySetResult(tracked);
        }

        return load with { Effect = tracked };
    }

    private TaskCompletionSource<TrackedEffect> FinishedSource(string modelDir) =>
        _finished.GetOrAdd(modelDir, static _ => new TaskCompletionSource<TrackedEffect>(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>An effect that counts the frames it ran and signals its disposal.</summary>
public sealed class TrackedEffect(IFrameEffect inner) : IFrameEffect
{
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _frames;

    public IFrameEffect Inner { get; } = inner;

    /// <summary>The diffusion pipeline inside, when this is one.</summary>
    public StreamDiffusionEffect? Pipeline => (Inner as DiffusionFrameEffect)?.Pipeline;

    public long Frames => Interlocked.Read(ref _frames);

    public Task Disposed => _disposed.Task;

    public string Name => Inner.Name;

    public EffectReport Report => Inner.Report;

    public void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format)
    {
        Interlocked.Increment(ref _frames);
        Inner.Process(input, output, width, height, rowBytes, format);
    }

    public ConfigureOutcome Configure(EffectSettings settings) => Inner.Configure(settings);

    public void Dispose()
    {
        Inner.Dispose();
        _disposed.TrySetResult();
    }
}
