using System.Numerics.Tensors;
using StreamFx.Diffusion.Streaming;

namespace StreamFx.Diffusion.Guidance;

/// <summary>
/// Residual classifier-free guidance over a stream batch: how the UNet batch is expanded for each
/// cfg_type, how the guided noise is formed, and the stock (virtual residual) noise kept between calls.
/// </summary>
public sealed class ResidualCfg
{
    private readonly float[] _stock;
    private readonly int _items;
    private readonly int _latentLength;

    public ResidualCfg(int items, int latentLength)
    {
        if (items < 1) throw new ArgumentOutOfRangeException(nameof(items), items, "must be at least 1");
        if (latentLength < 1) throw new ArgumentOutOfRangeException(nameof(latentLength), latentLength, "must be at least 1");
        _items = items;
        _latentLength = latentLength;
        _stock = new float[items * latentLength];
    }

    public CfgType Type { get; set; } = CfgType.Self;
    public float GuidanceScale { get; set; } = 1.2f;
    public float Delta { get; set; } = 1.0f;

    /// <summary>Guidance is applied only with a scale above 1 and a type other than none.</summary>
    public bool Guides => GuidanceScale > 1f && Type != CfgType.None;

    public ReadOnlySpan<float> StockNoise => _stock;

    /// <summary>
    /// Starts the stock again from the pre-computed noise: item k's buffer latent was noised with init noise k,
    /// so that noise is its residual relative to the previous step's estimate (zeros would instead make the
    /// negative branch predict "no noise" and guidance would amplify the noise for the next frames).
    /// </summary>
    public void ResetStock(ReadOnlySpan<float> initNoise)
    {
        if (initNoise.Length != _stock.Length) throw new ArgumentException($"init noise must hold {_stock.Length} values, found {initNoise.Length}");
        initNoise.CopyTo(_stock);
    }

    /// <summary>UNet batch size for a stream batch of <paramref name="items"/> (= n*f) items.</summary>
    public static int UnetBatchSize(CfgType type, float guidanceScale, int items)
    {
        if (!(guidanceScale > 1f)) return items;
        return type switch
        {
            CfgType.Initialize => items + 1,
            CfgType.Full => 2 * items,
            _ => items,
        };
    }

    public int UnetBatch => UnetBatchSize(Type, GuidanceScale, _items);

    /// <summary>How many leading UNet items take the negative-prompt embedding.</summary>
    public int UncondLeading => !(GuidanceScale > 1f) ? 0 : Type switch
    {
        CfgType.Initialize => 1,
        CfgType.Full => _items,
        _ => 0,
    };

    /// <summary>
    /// Before the UNet: stock = [init noise of the newest f items, stock shifted by f]. The newest frame was
    /// noised to t_0 with exactly that noise, so it is its virtual residual noise (paper eq. 5-6 with the
    /// input latent as x0). This holds for n = 1 too: the reference skips the shift there, which feeds the
    /// last item's update back into itself every frame with gain about g * b_t / a_t (above 1 at t = 499,
    /// g = 1.5), and a still frame's output then diverges into saturated noise within a few frames.
    /// </summary>
    public void ShiftStock(ReadOnlySpan<float> initNoise, int frameBufferSize)
    {
        int group = frameBufferSize * _latentLength;
        if (_stock.Length > group) _stock.AsSpan(0, _stock.Length - group).CopyTo(_stock.AsSpan(group));
        initNoise[..group].CopyTo(_stock);
    }

    /// <summary>Lays out the UNet input for the current type: [x0-item, x] (initialize), [x, x] (full) or x.</summary>
    public void Expand(ReadOnlySpan<float> xBatch, ReadOnlySpan<int> timesteps, Span<float> unetSample, Span<int> unetTimesteps)
    {
        int lead = UncondLeading;
        int batch = UnetBatch;
        if (unetSample.Length != batch * _latentLength || unetTimesteps.Length != batch)
            throw new ArgumentException($"UNet buffers must hold {batch} items, found {unetSample.Length / _latentLength} samples and {unetTimesteps.Length} timesteps");
        xBatch[..(lead * _latentLength)].CopyTo(unetSample);
        xBatch.CopyTo(unetSample[(lead * _latentLength)..]);
        timesteps[..lead].CopyTo(unetTimesteps);
        timesteps.CopyTo(unetTimesteps[lead..]);
    }

    /// <summary>Forms eps_cfg = eps_u + g * (eps_c - eps_u) from the UNet output (or passes eps_c through).</summary>
    public void Combine(ReadOnlySpan<float> unetNoise, Span<float> eps)
    {
        int n = _items * _latentLength;
        int lead = UncondLeading * _latentLength;
        ReadOnlySpan<float> cond = unetNoise.Slice(lead, n);
        if (!Guides)
        {
            cond.CopyTo(eps);
            return;
        }
        float g = GuidanceScale;
        if (Type == CfgType.Full)
        {
            ReadOnlySpan<float> uncond = unetNoise[..n];
            // eps = u + g*(c - u) = g*c + (1-g)*u
            TensorPrimitives.Multiply(cond, g, eps);
            TensorPrimitives.MultiplyAdd(uncond, 1f - g, eps, eps);
            return;
        }
        if (Type == CfgType.Initialize)
            unetNoise[.._latentLength].CopyTo(_stock);
        // Self/initialize: eps_u = delta * stock; eps = g*c + (1-g)*delta*stock
        TensorPrimitives.Multiply(cond, g, eps);
        TensorPrimitives.MultiplyAdd(_stock, (1f - g) * Delta, eps, eps);
    }

    /// <summary>
    /// After the LCM step (self/initialize): stock = roll(init noise, -f) + (a_next/b_next) * step(eps, b_t * stock)
    /// for every item but the last f, whose stock the next <see cref="ShiftStock"/> drops (the reference computes
    /// it with a_next = b_next = 1 and drops it too when n &gt; 1).
    /// </summary>
    public void UpdateStock(ReadOnlySpan<float> eps, StreamBatch batch)
    {
        if (Type != CfgType.Self && Type != CfgType.Initialize) return;
        int f = batch.FrameBufferSize, L = _latentLength, n = batch.Steps;
        ReadOnlySpan<float> init = batch.InitNoise;
        var steps = batch.StepConstants;
        for (int j = 0; j < (n - 1) * f; j++)
        {
            int k = j / f;
            var c = steps[k];
            float ratio = steps[k + 1].SignalScale / steps[k + 1].NoiseScale;
            // step(eps, b*stock) = P*(b*stock) + Q*eps
            float ps = c.SampleCoefficient * c.NoiseScale * ratio;
            float qs = c.NoiseCoefficient * ratio;
            Span<float> s = _stock.AsSpan(j * L, L);
            TensorPrimitives.Multiply(s, ps, s);
            TensorPrimitives.MultiplyAdd(eps.Slice(j * L, L), qs, s, s);
            TensorPrimitives.Add(s, init.Slice(((j + f) % _items) * L, L), s);
        }
    }
}
