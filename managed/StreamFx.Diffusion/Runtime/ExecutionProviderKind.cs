namespace StreamFx.Diffusion.Runtime;

/// <summary>The execution_provider setting.</summary>
public enum ExecutionProviderKind
{
    Auto,
    TensorRt,
    Cuda,
    DirectMl,
    Cpu,
    /// <summary>NVIDIA TensorRT-RTX, a plugin EP loaded from its library beside the host (RTX GPUs).</summary>
    TensorRtRtx,
}

public static class ExecutionProviderNames
{
    public static bool TryParse(string? text, out ExecutionProviderKind kind)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "auto": kind = ExecutionProviderKind.Auto; return true;
            case "tensorrt": kind = ExecutionProviderKind.TensorRt; return true;
            case "cuda": kind = ExecutionProviderKind.Cuda; return true;
            case "directml": kind = ExecutionProviderKind.DirectMl; return true;
            case "cpu": kind = ExecutionProviderKind.Cpu; return true;
            case "tensorrt-rtx": kind = ExecutionProviderKind.TensorRtRtx; return true;
            default: kind = ExecutionProviderKind.Auto; return false;
        }
    }

    public static string Name(ExecutionProviderKind kind) => kind switch
    {
        ExecutionProviderKind.TensorRt => "tensorrt",
        ExecutionProviderKind.Cuda => "cuda",
        ExecutionProviderKind.DirectMl => "directml",
        ExecutionProviderKind.Cpu => "cpu",
        ExecutionProviderKind.TensorRtRtx => "tensorrt-rtx",
        _ => "auto",
    };
}
