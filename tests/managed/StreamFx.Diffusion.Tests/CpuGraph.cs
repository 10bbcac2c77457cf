using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamFx.Diffusion.Tests;

/// <summary>A graph output read back: floating values widened to float32 (exact for float16), or bytes.</summary>
internal sealed record GraphValue(TensorElementType Type, long[] Shape, float[] Floats, byte[] Bytes);

/// <summary>An input: float32, float16 (given as float values already representable in half) or uint8.</summary>
internal sealed record GraphInput(string Name, TensorElementType Type, long[] Shape, float[]? Floats = null, byte[]? Bytes = null)
{
    public static GraphInput Float(string name, float[] values, params long[] shape) => new(name, TensorElementType.Float, shape, values);
    public static GraphInput Floating(string name, TensorElementType type, float[] values, params long[] shape) => new(name, type, shape, values);
    public static GraphInput UInt8(string name, byte[] values, params long[] shape) => new(name, TensorElementType.UInt8, shape, Bytes: values);
}

/// <summary>An in-memory ONNX model run on ONNX Runtime's CPU provider with default session options.</summary>
internal sealed class CpuGraph : IDisposable
{
    private readonly InferenceSession _session;

    public CpuGraph(byte[] model)
    {
        using var options = new SessionOptions();
        _session = new InferenceSession(model, options);
    }

    public void Dispose() => _session.Dispose();

    public IReadOnlyList<string> InputNames => _session.InputNames;
    public IReadOnlyList<string> OutputNames => _session.OutputNames;

    public Dictionary<string, GraphValue> Run(params GraphInput[] inputs)
    {
        var values = new List<OrtValue>();
        try
        {
            foreach (GraphInput input in inputs) values.Add(Create(input));
            using var runOptions = new RunOptions();
            string[] outputs = [.. _session.OutputNames];
            using var results = _session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), values, outputs);
            var read = new Dictionary<string, GraphValue>(StringComparer.Ordinal);
            for (int i = 0; i < outputs.Length; i++) read[outputs[i]] = Read(results[i]);
            return read;
        }
        finally
        {
            foreach (OrtValue v in values) v.Dispose();
        }
    }

    private static OrtValue Create(GraphInput input) => input.Type switch
    {
        TensorElementType.Float => OrtValue.CreateTensorValueFromMemory((float[])input.Floats!.Clone(), input.Shape),
        TensorElementType.Float16 => OrtValue.CreateTensorValueFromMemory(ToFloat16(input.Floats!), input.Shape),
        TensorElementType.UInt8 => OrtValue.CreateTensorValueFromMemory((byte[])input.Bytes!.Clone(), input.Shape),
        _ => throw new ArgumentException($"input '{input.Name}': {input.Type} is not used by the device graphs"),
    };

    private static Float16[] ToFloat16(float[] values)
    {
        var half = new Float16[values.Length];
        Span<Half> h = MemoryMarshal.Cast<Float16, Half>(half.AsSpan());
        for (int i = 0; i < values.Length; i++) h[i] = (Half)values[i];
        return half;
    }

    private static GraphValue Read(OrtValue value)
    {
        OrtTensorTypeAndShapeInfo info = value.GetTensorTypeAndShape();
        long[] shape = info.Shape;
        switch (info.ElementDataType)
        {
            case TensorElementType.Float:
                return new GraphValue(TensorElementType.Float, shape, value.GetTensorDataAsSpan<float>().ToArray(), []);
            case TensorElementType.Float16:
                ReadOnlySpan<Half> h = MemoryMarshal.Cast<Float16, Half>(value.GetTensorDataAsSpan<Float16>());
                var widened = new float[h.Length];
                for (int i = 0; i < h.Length; i++) widened[i] = (float)h[i];
                return new GraphValue(TensorElementType.Float16, shape, widened, []);
            case TensorElementType.UInt8:
                return new GraphValue(TensorElementType.UInt8, shape, [], value.GetTensorDataAsSpan<byte>().ToArray());
            default:
                throw new InvalidOperationException($"graph output of type {info.ElementDataType} is not expected");
        }
    }
}
