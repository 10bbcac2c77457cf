using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Bridge;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;

namespace StreamFx.Host.Effects;

/// <summary>
/// Runs an "image-effect" model: input float32 [1,3,H,W] RGB in [0,1], output of the same shape.
/// Tensors live in pooled buffers allocated once per resolution and stay bound to an IoBinding,
/// so a steady stream of same-size frames allocates nothing per frame.
/// </summary>
public sealed class OnnxImageEffect : IFrameEffect
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly OrtIoBinding _binding;
    private readonly string _inputName;
    private readonly string _outputName;
    private readonly long _fixedHeight;
    private readonly long _fixedWidth;

    private int _width;
    private int _height;
    private float[]? _inputBuffer;
    private float[]? _outputBuffer;
    private OrtValue? _inputValue;
    private OrtValue? _outputValue;

    public OnnxImageEffect(ImageEffectManifest manifest)
    {
        if (!File.Exists(manifest.ModelPath))
        {
            throw new InvalidDataException($"model file '{manifest.ModelPath}' (field \"model\" of the manifest) does not exist");
        }

        Name = manifest.Name;
        _inputName = manifest.InputName;
        _outputName = manifest.OutputName;
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(manifest.ModelPath, options);
        try
        {
            (_fixedHeight, _fixedWidth) = CheckImageTensor(manifest.ModelPath, _session.InputMetadata, _inputName, "input");
            CheckImageTensor(manifest.ModelPath, _session.OutputMetadata, _outputName, "output");
            _binding = _session.CreateIoBinding();
        }
        catch
        {
            _session.Dispose();
            _runOptions.Dispose();
            throw;
        }
    }

    public string Name { get; }

    public EffectReport Report => EffectReport.Cpu;

    /// <summary>An image effect has no live controls: everything but the folder (which the session compares) is ignored.</summary>
    public ConfigureOutcome Configure(EffectSettings settings) => ConfigureOutcome.Applied;

    public void Process(ReadOnlySpan<byte> input, Span<byte> output, int width, int height, int rowBytes, PixelFormat format)
    {
        EnsureTensors(width, height);
        PixelPlanes.ToPlanar(input, width, height, rowBytes, DiffusionFrameEffect.ToLayout(format), _inputBuffer.AsSpan(0, 3 * width * height));
        _session.RunWithBinding(_runOptions, _binding);
        PixelPlanes.FromPlanar(_outputBuffer.AsSpan(0, 3 * width * height), input, width, height, rowBytes, DiffusionFrameEffect.ToLayout(format), output);
    }

    // Binds fresh tensors only when the frame size changes.
    private void EnsureTensors(int width, int height)
    {
        if (width == _width && height == _height && _inputValue is not null)
        {
            return;
        }

        if ((_fixedHeight > 0 && _fixedHeight != height) || (_fixedWidth > 0 && _fixedWidth != width))
        {
            throw new InvalidOperationException(
                $"model '{Name}' takes {_fixedWidth}x{_fixedHeight} images only; the frame is {width}x{height}");
        }

        ReleaseTensors();
        int elements = 3 * width * height;
        long[] shape = [1, 3, height, width];
        _inputBuffer = ArrayPool<float>.Shared.Rent(elements);
        _outputBuffer = ArrayPool<float>.Shared.Rent(elements);
        _inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_inputBuffer, 0, elements), shape);
        _outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_outputBuffer, 0, elements), shape);
        _binding.ClearBoundInputs();
        _binding.ClearBoundOutputs();
        _binding.BindInput(_inputName, _inputValue);
        _binding.BindOutput(_outputName, _outputValue);
        _width = width;
        _height = height;
    }

    private void ReleaseTensors()
    {
        _inputValue?.Dispose();
        _outputValue?.Dispose();
        _inputValue = null;
        _outputValue = null;
        if (_inputBuffer is not null)
        {
            ArrayPool<float>.Shared.Return(_inputBuffer);
        }

        if (_outputBuffer is not null)
        {
            ArrayPool<float>.Shared.Return(_outputBuffer);
        }

        _inputBuffer = null;
        _outputBuffer = null;
        _width = 0;
        _height = 0;
    }

    // Checks name, element type and shape [1|N, 3|N, H, W]; returns fixed H and W (or -1 when dynamic).
    private static (long Height, long Width) CheckImageTensor(string modelPath, IReadOnlyDictionary<string, NodeMetadata> metadata, string name, string role)
    {
        if (!metadata.TryGetValue(name, out NodeMetadata? node))
        {
            throw new InvalidDataException($"model '{modelPath}': {role} \"{name}\" (from the manifest) not found; the model has {string.Join(", ", metadata.Keys)}");
        }

        if (!node.IsTensor || node.ElementDataType != TensorElementType.Float)
        {
            throw new InvalidDataException($"model '{modelPath}': {role} \"{name}\": expected a float32 tensor, found {node.ElementDataType}");
        }

        int[] dims = node.Dimensions;
        if (dims.Length != 4 || dims[0] is not (1 or -1) || dims[1] is not (3 or -1))
        {
            throw new InvalidDataException($"model '{modelPath}': {role} \"{name}\": expected shape [1,3,H,W], found [{string.Join(",", dims)}]");
        }

        return (dims[2], dims[3]);
    }

    public void Dispose()
    {
        ReleaseTensors();
        _binding.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
