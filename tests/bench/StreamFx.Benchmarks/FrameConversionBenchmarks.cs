using BenchmarkDotNet.Attributes;
using StreamFx.Bridge;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;
using StreamFx.Host.Effects;

namespace StreamFx.Benchmarks;

/// <summary>
/// The host's pre/post-processing (frame bytes to model tensor and back) next to a plain copy of the
/// same frame bytes, per frame size. Diffusion path: <see cref="FrameResampler"/> to the 512x512 model
/// square (bilinear, crop) and back; image-effect path: <see cref="PixelPlanes"/> at frame size.
/// </summary>
[Config(typeof(ShortInProcessConfig))]
[MemoryDiagnoser]
public class FrameConversionBenchmarks
{
    public const int ModelSide = 512;

    private byte[] _frame = [];
    private byte[] _copy = [];
    private byte[] _output = [];
    private float[] _tensor = [];
    private float[] _planes = [];
    private FrameResampler? _resampler;
    private int _width, _height;

    [Params("1920x1080", "512x512")]
    public string Frame { get; set; } = "512x512";

    public int FrameBytes => _width * _height * 4;

    [GlobalSetup]
    public void Setup()
    {
        (_width, _height) = ParseSize(Frame);
        _frame = new byte[_width * _height * 4];
        for (int i = 0; i < _frame.Length; i++) _frame[i] = (byte)(i * 31 + (i >> 12));
        _copy = new byte[_frame.Length];
        _output = new byte[_frame.Length];
        _tensor = new float[3 * ModelSide * ModelSide];
        _planes = new float[3 * _width * _height];
        _resampler = new FrameResampler(_width, _height, ModelSide, ModelSide, FitMode.Crop);
        // Touch every buffer once so page faults are not measured.
        _frame.AsSpan().CopyTo(_copy);
        _frame.AsSpan().CopyTo(_output);
        Array.Fill(_tensor, 0.5f);
        Array.Fill(_planes, 0.5f);
    }

    public static (int Width, int Height) ParseSize(string text)
    {
        string[] parts = text.Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int w) || !int.TryParse(parts[1], out int h) || w < 1 || h < 1)
            throw new ArgumentException($"frame size: expected WxH, found '{text}'");
        return (w, h);
    }

    [Benchmark(Baseline = true)]
    public void Memcpy() => _frame.AsSpan().CopyTo(_copy);

    [Benchmark]
    public void ResamplerToTensor() => _resampler!.ToTensor(_frame, _width * 4, PixelLayout.Bgra, ImageRange.MinusOneToOne, _tensor);

    [Benchmark]
    public void ResamplerFromTensor() => _resampler!.FromTensor(_tensor, ImageRange.MinusOneToOne, _frame, _output, _width * 4, PixelLayout.Bgra);

    [Benchmark]
    public void PlanesToPlanar() => PixelPlanes.ToPlanar(_frame, _width, _height, _width * 4, PixelLayout.Bgra, _planes);

    [Benchmark]
    public void PlanesFromPlanar() => PixelPlanes.FromPlanar(_planes, _frame, _width, _height, _width * 4, PixelLayout.Bgra, _output);
}
