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
/// One model load on a background task, while the session's frame loop keeps running the current
/// effect. The result is taken (and swapped in) by the frame loop; an abandoned load disposes its
/// own result when it finishes.
/// </summary>
public sealed class ModelLoad
{
    private readonly long _started = Stopwatch.GetTimestamp();
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

    /// <summary>Starts <paramref name="loader"/> on the thread pool; log lines go to <paramref name="log"/> (any thread).</summary>
    public static ModelLoad Start(LoadKey key, EffectSettings settings, EffectLoader loader, Action<string> log)
    {
        var load = new ModelLoad(key, settings);
        var request = new EffectRequest(key.ModelDir, settings)
        {
            Log = log,
            Progress = line => load._progress = line,
        };
        load.Result = Task.Run(() => Run(loader, request));
        return load;
    }

    /// <summary>A newer CONFIGURE won: whatever this load builds is disposed, never shown.</summary>
    public void Abandon() =>
        Result.ContinueWith(static task => task.Result.Effect.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    // A loader that throws (a bug, or a native library missing) still gives an error the streamer can read.
    private static EffectLoad Run(EffectLoader loader, EffectRequest request)
    {
        try
        {
            return loader(request);
        }
        catch (Exception e)
        {
            return EffectLoad.Failed(request.ModelDir, $"loading '{request.ModelDir}' failed: {e.GetType().Name}: {e.Message}");
        }
    }
}
