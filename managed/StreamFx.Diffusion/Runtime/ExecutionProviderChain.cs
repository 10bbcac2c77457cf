namespace StreamFx.Diffusion.Runtime;

/// <summary>One provider tried: whether it worked and, if not, why.</summary>
public sealed record ProviderAttempt(ExecutionProviderKind Provider, bool Succeeded, string Reason);

/// <summary>The outcome of provider selection: what was built, on which provider, and every attempt.</summary>
public sealed record ProviderSelection<T>(T Value, ExecutionProviderKind Provider, IReadOnlyList<ProviderAttempt> Attempts);

/// <summary>
/// Tries providers in order until the sessions build: auto = TensorRT, CUDA, DirectML (Windows only), CPU, with
/// TensorRT-RTX first on an RTX GPU (its plugin library may be beside the host);
/// an explicit provider is tried first and CPU after it, so the effect always runs. Every failure is
/// logged with its reason and kept in <see cref="ProviderSelection{T}.Attempts"/>.
/// </summary>
public sealed class ExecutionProviderChain
{
    private readonly bool _isWindows;
    private readonly Action<string>? _log;
    private readonly bool _rtxGpu;

    /// <param name="rtxGpu">An NVIDIA RTX GPU is present (default: the driver's GPU name says "RTX").</param>
    public ExecutionProviderChain(bool? isWindows = null, Action<string>? log = null, bool? rtxGpu = null)
    {
        _isWindows = isWindows ?? OperatingSystem.IsWindows();
        _log = log;
        _rtxGpu = rtxGpu ?? IsRtxGpu(TensorRtCache.GpuIdentity());
    }

    /// <summary>GeForce RTX and RTX professional cards name themselves "RTX"; data-centre GPUs (H100, A100) do not.</summary>
    public static bool IsRtxGpu(string gpuIdentity) => gpuIdentity.Contains("RTX", StringComparison.Ordinal);

    public IReadOnlyList<ExecutionProviderKind> Candidates(ExecutionProviderKind requested) => requested switch
    {
        ExecutionProviderKind.Auto => (_rtxGpu ? [ExecutionProviderKind.TensorRtRtx] : Array.Empty<ExecutionProviderKind>()).Concat(_isWindows
            ? [ExecutionProviderKind.TensorRt, ExecutionProviderKind.Cuda, ExecutionProviderKind.DirectMl, ExecutionProviderKind.Cpu]
            : [ExecutionProviderKind.TensorRt, ExecutionProviderKind.Cuda, ExecutionProviderKind.Cpu]).ToArray(),
        ExecutionProviderKind.Cpu => [ExecutionProviderKind.Cpu],
        _ => [requested, ExecutionProviderKind.Cpu],
    };

    /// <summary>
    /// Calls <paramref name="build"/> for each candidate until one returns; <paramref name="build"/> must
    /// clean up after itself when it throws. The CPU attempt's failure is not caught (nothing is left to try).
    /// </summary>
    public ProviderSelection<T> Select<T>(ExecutionProviderKind requested, Func<ExecutionProviderKind, T> build)
    {
        var attempts = new List<ProviderAttempt>();
        foreach (var kind in Candidates(requested))
        {
            string name = ExecutionProviderNames.Name(kind);
            if (kind == ExecutionProviderKind.DirectMl && !_isWindows)
            {
                Fail(attempts, kind, "DirectML runs on Windows only");
                continue;
            }
            if (kind == ExecutionProviderKind.Cpu)
            {
                var cpu = build(kind);
                attempts.Add(new ProviderAttempt(kind, true, "in use"));
                _log?.Invoke($"execution provider: {name} in use");
                return new ProviderSelection<T>(cpu, kind, attempts);
            }
            try
            {
                var value = build(kind);
                attempts.Add(new ProviderAttempt(kind, true, "in use"));
                _log?.Invoke($"execution provider: {name} in use");
                return new ProviderSelection<T>(value, kind, attempts);
            }
            catch (Exception e) when (e is not OutOfMemoryException and not Model.ModelFolderException)
            {
                Fail(attempts, kind, FirstLine(e));
            }
        }
        throw new InvalidOperationException("no execution provider candidates");
    }

    private void Fail(List<ProviderAttempt> attempts, ExecutionProviderKind kind, string reason)
    {
        attempts.Add(new ProviderAttempt(kind, false, reason));
        _log?.Invoke($"execution provider: {ExecutionProviderNames.Name(kind)} unavailable: {reason}");
    }

    private static string FirstLine(Exception e)
    {
        // ModelFolderException and friends carry the whole reason; ORT errors can be long: keep the first line.
        string m = e.Message;
        int nl = m.IndexOf('\n');
        return (nl >= 0 ? m[..nl] : m).Trim();
    }
}
