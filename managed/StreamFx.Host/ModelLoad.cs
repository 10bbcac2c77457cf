using System.Diagnostics;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

/// <summary>What decides whether a CONFIGURE needs a new effect: the folder, the execution provider and the vae_dir.</summary>
public readonly record struct LoadKey(string? ModelDir, ExecutionProviderKind Provider, string? VaeDir = null)
{
    public static LoadKey For(EffectSettings settings) => new(settings.ModelDir, settings.ExecutionProvider, settings.VaeDir);
}

/// <summary>
/// One model load on its own thread, while the session's frame loop keeps running the current
/// effect. The session runs at most one at a time: a newer request cancels this one
/// (<see cref="Supersede"/>) and starts only after it has ended, so quick model changes never hold
/// several models in memory at once. The result is taken (and swapped in, or disposed when
/// superseded) by the frame loop.
/// </summary>
public sealed class ModelLoad
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _cancel = new();
    private volatile string? _progress;

    private ModelLoad(LoadKey key, EffectSettings settings)
    {
        Key = key;
        Settings = settings;
        Model = EffectLoad.ModelName(key.ModelDir);
    }

    public LoadKey Key { get; }

    /// <summary>The settings the effect is built with (later ones are applied when it is swapped in).</summary>
    public EffectSettings Settings { get; }

    /// <summary>The folder name being loaded (STATUS "model").</summary>
    public string? Model { get; }

    public Task<EffectLoad> Result { get; private set; } = null!;

    /// <summary>The loader's latest progress line, if any.</summary>
    public string? Progress => _progress;

    public double ElapsedSeconds => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    /// <summary>A newer request won: the loader was asked to stop, and whatever it still returns is disposed unseen.</summary>
    public bool Superseded => _cancel.IsCancellationRequested;

    /// <summary>
    /// Starts <paramref name="loader"/> on a dedicated thread (a model load blocks for seconds to minutes;
    /// on the thread pool it could starve the frame loop's continuations). Log lines go to <paramref name="log"/> (any thread).
    /// </summary>
    public static ModelLoad Start(LoadKey key, EffectSettings settings, EffectLoader loader, Action<string> log)
    {
        var load = new ModelLoad(key, settings);
        var request = new EffectRequest(key.ModelDir, settings)
        {
            Log = log,
            Progress = line => load._progress = line,
            Cancellation = load._cancel.Token,
        };
        load.Result = Task.Factory.StartNew(() => Run(loader, request), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return load;
    }

    /// <summary>Asks the loader to stop (it may still finish); the session disposes the result when <see cref="Result"/> completes.</summary>
    public void Supersede() => _cancel.Cancel();

    /// <summary>For the session's end: cancels the load and disposes whatever it returns, whenever that is.</summary>
    public void Abandon()
    {
        _cancel.Cancel();
        Result.ContinueWith(static task => task.Result.Effect.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // A loader that throws (a bug, or a native library missing) still gives an error the streamer can read.
    private static EffectLoad Run(EffectLoader loader, EffectRequest request)
    {
        try
        {
            return loader(request);
        }
        catch (OperationCanceledException) when (request.Cancellation.IsCancellationRequested)
        {
            return EffectLoad.Failed(request.ModelDir, EffectFactory.CancelledError);
        }
        catch (Exception e)
        {
            return EffectLoad.Failed(request.ModelDir, $"loading '{request.ModelDir}' failed: {e.GetType().Name}: {e.Message}");
        }
    }
}
