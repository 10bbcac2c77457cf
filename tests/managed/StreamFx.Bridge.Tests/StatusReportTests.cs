using System.Text;
using System.Text.Json;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;
using StreamFx.Host;
using StreamFx.Host.Effects;

namespace StreamFx.Bridge.Tests;

public sealed class StatusReportTests
{
    [Fact]
    public void HugeTextsAreCutSoStatusStaysFarBelowThePayloadLimit()
    {
        // Worst case for size: characters the JSON writer escapes (6 bytes each), and a surrogate pair at the cut.
        string escaped = new('\u00e9', 100_000);
        string pairs = string.Concat(Enumerable.Repeat("\U0001F600", 50_000));
        var report = new StatusReport("error", "cpu", escaped, 1, 2, escaped)
        {
            ProvidersTried = pairs,
            Progress = escaped,
            Stages = new StageTimings(1, 2, 3, 4, 5),
            Skipped = 3,
            ElapsedSeconds = 1.26,
        };

        string json = report.ToJson();
        Assert.True(Encoding.UTF8.GetByteCount(json) < 65536 / 2, $"{Encoding.UTF8.GetByteCount(json)} bytes");
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        Assert.Equal(StatusReport.MaxErrorLength, root.GetProperty("error").GetString()!.Length);
        Assert.EndsWith(" chars]", root.GetProperty("providers_tried").GetString());
        Assert.Equal(StatusReport.MaxTextLength, root.GetProperty("model").GetString()!.Length);
        Assert.Equal(3, root.GetProperty("stages").GetProperty("unet").GetDouble());
        Assert.Equal(3, root.GetProperty("skipped").GetInt64());
        Assert.Equal(1.3, root.GetProperty("elapsed_s").GetDouble());
    }

    [Fact]
    public void ProvidersTriedListsFailuresOnlyWithReasonsCut()
    {
        ProviderAttempt[] attempts =
        [
            new(ExecutionProviderKind.TensorRt, false, "libnvinfer.so.10: cannot open shared object file"),
            new(ExecutionProviderKind.Cuda, false, new string('x', 1000)),
            new(ExecutionProviderKind.Cpu, true, "in use"),
        ];

        string tried = DiffusionFrameEffect.DescribeFailures(attempts)!;
        Assert.StartsWith("tensorrt: libnvinfer.so.10: cannot open shared object file; cuda: xxx", tried);
        Assert.DoesNotContain("cpu", tried);
        Assert.Equal("tensorrt: libnvinfer.so.10: cannot open shared object file; cuda: ".Length + DiffusionFrameEffect.MaxReasonLength, tried.Length);
        Assert.Null(DiffusionFrameEffect.DescribeFailures([new(ExecutionProviderKind.Cpu, true, "in use")]));
    }

    [Fact]
    public void ProvidersTriedKeepsTheLoadersCauseOfAnOnnxRuntimeError()
    {
        string ortError = "[ErrorCode:Fail] /onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:2043 " +
            "onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library " +
            "/opt/obs/plugins/streamfx-obs/bin/64bit/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory";
        string tried = DiffusionFrameEffect.DescribeFailures([new(ExecutionProviderKind.Cuda, false, ortError)])!;
        Assert.Equal("cuda: libcublasLt.so.13: cannot open shared object file: No such file or directory", tried);
    }
}
