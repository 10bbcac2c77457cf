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

    public void ResetStock() => Array.Clear(_stock);

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

    /// <summary>Before the UNet (n &gt; 1): stock = [init noise of the newest f items, stock shifted by f].</summary>
    public void ShiftStock(ReadOnlySpan<float> initNoise, int frameBufferSize)
    {
        int group = frameBufferSize * _latentLength;
        if (_items * _latentLength == group) return;
        _stock.AsSpan(0, _stock.Length - group).CopyTo(_stock.AsSpan(group));
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
    /// After the LCM step (self/initialize): stock = roll(init noise, -f) + (a_next/b_next) * step(eps, b_t * stock),
    /// with a_next = b_next = 1 past the last step.
    /// </summary>
    public void UpdateStock(ReadOnlySpan<float> eps, StreamBatch batch)
    {
        if (Type != CfgType.Self && Type != CfgType.Initialize) return;
        int f = batch.FrameBufferSize, L = _latentLength, n = batch.Steps;
        ReadOnlySpan<float> init = batch.InitNoise;
        var steps = batch.StepConstants;
        for (int j = 0; j < _items; j++)
        {
            int k = j / f;
            var c = steps[k];
            float aNext = k + 1 < n ? steps[k + 1].SignalScale : 1f;
            float bNext = k + 1 < n ? steps[k + 1].NoiseScale : 1f;
            float ratio = aNext / bNext;
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
