using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamFx.Diffusion.Pipeline;

/// <summary>
/// A CPU tensor allocated once (pinned array) with its OrtValue, written and read as float (or int for
/// timesteps / ids) whatever its element type: float32 copies, float16 converts, int64 widens.
/// </summary>
internal sealed class TensorBuffer : IDisposable
{
    private readonly float[]? _f32;
    private readonly Float16[]? _f16;
    private readonly long[]? _i64;
    private readonly int[]? _i32;

    public TensorBuffer(TensorElementType type, long[] shape)
    {
        long count = 1;
        foreach (var d in shape) count *= d;
        Length = checked((int)count);
        Type = type;
        Shape = shape;
        switch (type)
        {
            case TensorElementType.Float:
                _f32 = GC.AllocateArray<float>(Length, pinned: true);
                Value = OrtValue.CreateTensorValueFromMemory(_f32, shape);
                break;
            case TensorElementType.Float16:
                _f16 = GC.AllocateArray<Float16>(Length, pinned: true);
                Value = OrtValue.CreateTensorValueFromMemory(_f16, shape);
                break;
            case TensorElementType.Int64:
                _i64 = GC.AllocateArray<long>(Length, pinned: true);
                Value = OrtValue.CreateTensorValueFromMemory(_i64, shape);
                break;
            case TensorElementType.Int32:
                _i32 = GC.AllocateArray<int>(Length, pinned: true);
                Value = OrtValue.CreateTensorValueFromMemory(_i32, shape);
                break;
            default:
                throw new NotSupportedException($"tensor element type {type} is not used by this pipeline");
        }
    }

    public int Length { get; }
    public TensorElementType Type { get; }
    public long[] Shape { get; }
    public OrtValue Value { get; }

    public void Write(ReadOnlySpan<float> values, int offset = 0)
    {
        if (_f32 is not null) values.CopyTo(_f32.AsSpan(offset));
        else if (_f16 is not null) TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<Float16, Half>(_f16.AsSpan(offset, values.Length)));
        else throw new InvalidOperationException($"a {Type} tensor takes integers");
    }

    public void Read(Span<float> values)
    {
        if (_f32 is not null) _f32.AsSpan(0, values.Length).CopyTo(values);
        else if (_f16 is not null) TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<Float16, Half>(_f16.AsSpan(0, values.Length)), values);
        else throw new InvalidOperationException($"a {Type} tensor holds integers");
    }

    public void WriteIntegers(ReadOnlySpan<int> values)
    {
        if (_i64 is not null) for (int i = 0; i < values.Length; i++) _i64[i] = values[i];
        else if (_i32 is not null) values.CopyTo(_i32);
        else if (_f32 is not null) for (int i = 0; i < values.Length; i++) _f32[i] = values[i];
        else if (_f16 is not null) for (int i = 0; i < values.Length; i++) _f16[i] = (Float16)(float)values[i];
    }

    public void Dispose() => Value.Dispose();
}
