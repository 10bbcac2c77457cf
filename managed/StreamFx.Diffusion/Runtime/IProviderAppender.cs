using Microsoft.ML.OnnxRuntime;

namespace StreamFx.Diffusion.Runtime;

/// <summary>Appends an execution provider to session options; a seam so the fallback chain can be tested.</summary>
public interface IProviderAppender
{
    void AppendTensorRt(SessionOptions options, IReadOnlyDictionary<string, string> providerOptions);
    void AppendCuda(SessionOptions options, IReadOnlyDictionary<string, string> providerOptions);
    void AppendDirectMl(SessionOptions options, int deviceId);

    /// <summary>TensorRT-RTX from its plugin library beside the host; throws with the reason when it is not usable.</summary>
    void AppendTensorRtRtx(SessionOptions options, IReadOnlyDictionary<string, string> providerOptions) =>
        new TensorRtRtxProvider().Append(options, providerOptions);
}

/// <summary>The real appender over ONNX Runtime's provider options.</summary>
public sealed class OrtProviderAppender : IProviderAppender
{
    public static readonly OrtProviderAppender Instance = new();

    public void AppendTensorRt(SessionOptions options, IReadOnlyDictionary<string, string> providerOptions)
    {
        using var trt = new OrtTensorRTProviderOptions();
        trt.UpdateOptions(new Dictionary<string, string>(providerOptions));
        options.AppendExecutionProvider_Tensorrt(trt);
    }

    public void AppendCuda(SessionOptions options, IReadOnlyDictionary<string, string> providerOptions)
    {
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(new Dictionary<string, string>(providerOptions));
        options.AppendExecutionProvider_CUDA(cuda);
    }

    public void AppendDirectMl(SessionOptions options, int deviceId) => options.AppendExecutionProvider_DML(deviceId);
}
