using System.Diagnostics;
using System.Numerics.Tensors;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Model;

namespace StreamFx.Diffusion.Pipeline;

// Per-frame work: one frame through resample, encode, denoise, decode and back, or the warm-up frame.
public sealed partial class StreamDiffusionEffect
{
    /// <summary>
    /// Runs one frame. <paramref name="pixels"/> and <paramref name="output"/> are width x height 4-byte pixels,
    /// <paramref name="rowBytes"/> apart, in <paramref name="layout"/>. Returns true when a new output was
    /// written; false when the similarity filter skipped the frame (the previous output is written again,
    /// and no model runs).
    /// </summary>
    public bool Process(ReadOnlySpan<byte> pixels, Span<byte> output, int width, int height, int rowBytes, PixelLayout layout)
    {
        if (width < 1 || height < 1) throw new ArgumentOutOfRangeException(nameof(width), $"frame size must be positive, found {width}x{height}");
        if (rowBytes < width * 4) throw new ArgumentOutOfRangeException(nameof(rowBytes), rowBytes, $"row bytes must be at least {width * 4}");
        long need = (long)rowBytes * (height - 1) + width * 4;
        if (pixels.Length < need || output.Length < need)
            throw new ArgumentException($"a {width}x{height} frame with {rowBytes} row bytes needs {need} bytes; input has {pixels.Length}, output {output.Length}");
        int frameBytes = (int)need;

        if (_settings.Bypass)
        {
            pixels[..frameBytes].CopyTo(output);
            Status.LastFrameSkipped = false;
            return true;
        }
        if (_resampler is null || _resampler.FrameWidth != width || _resampler.FrameHeight != height || _resampler.Fit != _settings.FitMode)
        {
            _resampler = new FrameResampler(width, height, _resolution, _resolution, _settings.FitMode);
            _skip.Reset();
            _hasOutput = false;
        }
        if (_lastOutput.Length != frameBytes)
        {
            _lastOutput = new byte[frameBytes];
            _hasOutput = false;
        }

        long t0 = Stopwatch.GetTimestamp();
        _resampler.ToTensor(pixels, rowBytes, layout, _manifest.ImageRange, _image);
        long t1 = Stopwatch.GetTimestamp();
        // A running style transition must advance on a still frame too, so it is never skipped.
        if (_skip.ShouldSkip(_image) && _hasOutput && !_transition.Active)
        {
            _lastOutput.AsSpan().CopyTo(output);
            Status.FramesSkipped++;
            Status.LastFrameSkipped = true;
            return false;
        }

        _encoder!.Run(_image, _latent);
        if (_manifest.LatentScale != 1f) TensorPrimitives.Multiply(_latent, _manifest.LatentScale, _latent);
        long t2 = Stopwatch.GetTimestamp();

        if (_transition.Next(_cond)) _unet!.SetEmbeddings(_cond, _uncond);
        _denoiser!.Denoise(_latent, _x0);
        long t3 = Stopwatch.GetTimestamp();

        if (_manifest.LatentScale != 1f) TensorPrimitives.Multiply(_x0, 1f / _manifest.LatentScale, _x0);
        _decoder!.Run(_x0, _decoded);
        long t4 = Stopwatch.GetTimestamp();

        _resampler.FromTensor(_decoded, _manifest.ImageRange, pixels, output, rowBytes, layout);
        output[..frameBytes].CopyTo(_lastOutput);
        _hasOutput = true;
        long t5 = Stopwatch.GetTimestamp();

        Status.LastTimings = new StageTimings(Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t3, t4), Ms(t4, t5));
        Status.FramesProcessed++;
        Status.LastFrameSkipped = false;
        Status.UnetCalls = _unet!.Calls;
        Status.EncoderCalls = _encoder.Calls;
        Status.DecoderCalls = _decoder.Calls;
        Status.UnetBatch = _unet.LastBatch;
        Status.TransitionActive = _transition.Active;
        return true;
    }

    /// <summary>
    /// Runs one frame's models (encoder, UNet, decoder) at the processing resolution on a mid-grey
    /// image, as the background load's last step, so the first shown frame does not pay for ONNX
    /// Runtime's first-run allocations and the host learns how slow the model is before it runs live.
    /// The stream state (denoising buffer, stock noise) is reset afterwards: the first real frame is
    /// processed exactly as without the warm-up. Returns the seconds the frame took.
    /// </summary>
    public double WarmUp()
    {
        long t0 = Stopwatch.GetTimestamp();
        Array.Fill(_image, _manifest.ImageRange == ImageRange.ZeroToOne ? 0.5f : 0f);
        _encoder!.Run(_image, _latent);
        if (_manifest.LatentScale != 1f) TensorPrimitives.Multiply(_latent, _manifest.LatentScale, _latent);
        _denoiser!.Denoise(_latent, _x0);
        if (_manifest.LatentScale != 1f) TensorPrimitives.Multiply(_x0, 1f / _manifest.LatentScale, _x0);
        _decoder!.Run(_x0, _decoded);
        _denoiser.SetInitNoise(_denoiser.Batch.InitNoise);
        Status.UnetCalls = _unet!.Calls;
        Status.EncoderCalls = _encoder.Calls;
        Status.DecoderCalls = _decoder.Calls;
        return (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
    }

    private static double Ms(long a, long b) => (b - a) * 1000.0 / Stopwatch.Frequency;
}
