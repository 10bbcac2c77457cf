using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Scheduling;
using StreamFx.Onnx;

namespace StreamFx.Diffusion.Pipeline.Device;

/// <summary>
/// What the stream-step graphs' structure depends on (f = 1). <see cref="Guides"/> is ResidualCfg.Guides
/// (guidance scale above 1 and <see cref="Cfg"/> not None); scalars such as the scale itself are graph
/// inputs, so only a change of this shape needs new graphs.
/// </summary>
public readonly record struct StepGraphShape(
    int Steps, int LatentChannels, int EncoderChannels, int LatentHeight, int LatentWidth,
    TensorElementType EncoderType, TensorElementType UnetType, TensorElementType DecoderType, CfgType Cfg, bool Guides)
{
    /// <summary>Leading negative-prompt items of the UNet batch (ResidualCfg.UncondLeading).</summary>
    public int Lead => !Guides ? 0 : Cfg switch
    {
        CfgType.Initialize => 1,
        CfgType.Full => Steps,
        _ => 0,
    };

    /// <summary>UNet batch: the n stream items after <see cref="Lead"/> negative ones.</summary>
    public int UnetBatch => Steps + Lead;

    internal void Validate()
    {
        if (Steps < 1 || Steps > TimestepSelection.MaxSteps)
            throw new ArgumentException($"step graphs: steps must be in 1..{TimestepSelection.MaxSteps}, found {Steps}");
        if (LatentChannels < 1 || LatentHeight < 1 || LatentWidth < 1)
            throw new ArgumentException($"step graphs: latent shape must be positive, found {LatentChannels}x{LatentHeight}x{LatentWidth}");
        if (EncoderChannels < LatentChannels)
            throw new ArgumentException($"step graphs: the encoder output must hold at least the {LatentChannels} latent channels, found {EncoderChannels}");
        if (Guides && Cfg == CfgType.None)
            throw new ArgumentException("step graphs: cfg type none never guides (Guides must be false)");
    }
}

/// <summary>
/// The Stream Batch call around the UNet as two ONNX graphs, so the latents, buffer and stock noise stay in
/// the provider's memory: <see cref="Assemble"/> (StreamBatch.Assemble, ResidualCfg.ShiftStock and Expand)
/// before the UNet, <see cref="Step"/> (ResidualCfg.Combine, LcmScheduler.Step, ResidualCfg.UpdateStock and
/// StreamBatch.Advance) after it. The float operations and their order are those of the CPU code, quirks
/// included (UpdateStock runs for self/initialize without guidance; the initialize stock replacement only
/// with it), so the two paths agree. State is float32; model-facing tensors are cast at the boundary.
/// </summary>
public static class StreamStepGraphs
{
    /// <summary>Values per item in item_constants: P, Q, ps, qs, a_next, b_next.</summary>
    public const int ItemConstantCount = 6;

    /// <summary>
    /// encoded [1,Ce,h,w], buffer [n-1,C,h,w] (n &gt; 1 only), stock, init_noise [n,C,h,w], assemble_constants
    /// [3] = [latent_scale, a_0, b_0] to x [n,C,h,w], unet_sample [U,C,h,w] = [x[:lead], x] and
    /// stock_shifted [n,C,h,w] = [init_noise[0], stock[:n-1]].
    /// </summary>
    public static byte[] Assemble(StepGraphShape s)
    {
        s.Validate();
        OnnxElementType encoderType = GraphOps.FloatingType(s.EncoderType, "the encoder type");
        OnnxElementType unetType = GraphOps.FloatingType(s.UnetType, "the UNet type");
        int n = s.Steps, lead = s.Lead;
        long c = s.LatentChannels, h = s.LatentHeight, w = s.LatentWidth;
        var o = new GraphOps(new OnnxGraphBuilder("streamfx_assemble"));
        o.Graph.AddInput(GraphNames.Encoded, encoderType, 1, s.EncoderChannels, h, w);
        if (n > 1) o.Graph.AddInput(GraphNames.Buffer, OnnxElementType.Float, n - 1, c, h, w);
        o.Graph.AddInput(GraphNames.Stock, OnnxElementType.Float, n, c, h, w);
        o.Graph.AddInput(GraphNames.InitNoise, OnnxElementType.Float, n, c, h, w);
        o.Graph.AddInput(GraphNames.AssembleConstants, OnnxElementType.Float, 3);

        string constants = GraphNames.AssembleConstants;
        string latentScale = o.Slice(constants, 0, 0, 1), a0 = o.Slice(constants, 0, 1, 2), b0 = o.Slice(constants, 0, 2, 3);
        // The first C channels are the mean (latent_parameters carries the log-variance after it).
        string encoded = o.ToFloat(GraphNames.Encoded, encoderType);
        string mean = s.EncoderChannels > s.LatentChannels ? o.Slice(encoded, 1, 0, s.LatentChannels) : encoded;
        string latent = o.Mul(mean, latentScale);
        // StreamBatch.Assemble: newest = latent * a_0, then noise_0 * b_0 + newest.
        string newestNoise = o.Slice(GraphNames.InitNoise, 0, 0, 1);
        string x = n > 1
            ? o.Concat(0, [o.Add(o.Mul(newestNoise, b0), o.Mul(latent, a0)), GraphNames.Buffer], GraphNames.X)
            : o.Add(o.Mul(newestNoise, b0), o.Mul(latent, a0), GraphNames.X);

        // ResidualCfg.Expand: [x[:lead], x] (initialize: the newest item once more; full: the whole batch).
        string expanded = lead == 0 ? x : o.Concat(0, [lead == n ? x : o.Slice(x, 0, 0, lead), x]);
        o.CastFromFloat(expanded, unetType, GraphNames.UnetSample);

        // ResidualCfg.ShiftStock (f = 1): the newest item's noise, then the stock moved down one item.
        if (n > 1) o.Concat(0, [newestNoise, o.Slice(GraphNames.Stock, 0, 0, n - 1)], GraphNames.StockShifted);
        else o.Identity(newestNoise, GraphNames.StockShifted);

        o.Graph.AddOutput(GraphNames.X, OnnxElementType.Float, n, c, h, w);
        o.Graph.AddOutput(GraphNames.UnetSample, unetType, s.UnetBatch, c, h, w);
        o.Graph.AddOutput(GraphNames.StockShifted, OnnxElementType.Float, n, c, h, w);
        return o.ToBytes();
    }

    /// <summary>
    /// x, unet_noise [U,C,h,w], stock_shifted, init_noise [n,C,h,w], item_constants [n,6], guidance [2] =
    /// [g, delta], output_scale [1] to latent_out [1,C,h,w] (decoder type), buffer_next [n-1,C,h,w]
    /// (n &gt; 1 only) and stock_next [n,C,h,w].
    /// </summary>
    public static byte[] Step(StepGraphShape s)
    {
        s.Validate();
        OnnxElementType unetType = GraphOps.FloatingType(s.UnetType, "the UNet type");
        OnnxElementType decoderType = GraphOps.FloatingType(s.DecoderType, "the decoder type");
        int n = s.Steps, lead = s.Lead;
        long c = s.LatentChannels, h = s.LatentHeight, w = s.LatentWidth;
        var o = new GraphOps(new OnnxGraphBuilder("streamfx_step"));
        o.Graph.AddInput(GraphNames.X, OnnxElementType.Float, n, c, h, w);
        o.Graph.AddInput(GraphNames.UnetNoise, unetType, s.UnetBatch, c, h, w);
        o.Graph.AddInput(GraphNames.StockShifted, OnnxElementType.Float, n, c, h, w);
        o.Graph.AddInput(GraphNames.InitNoise, OnnxElementType.Float, n, c, h, w);
        o.Graph.AddInput(GraphNames.ItemConstants, OnnxElementType.Float, n, ItemConstantCount);
        o.Graph.AddInput(GraphNames.Guidance, OnnxElementType.Float, 2);
        o.Graph.AddInput(GraphNames.OutputScale, OnnxElementType.Float, 1);

        // Per-item constants as [n,1,1,1] columns, broadcast over each item's latent.
        string items = o.Reshape(GraphNames.ItemConstants, [n, ItemConstantCount, 1, 1]);
        string Column(int i) => o.Slice(items, 1, i, i + 1);
        string p = Column(0), q = Column(1);

        string noise = o.ToFloat(GraphNames.UnetNoise, unetType);
        string cond = lead == 0 ? noise : o.Slice(noise, 0, lead, lead + n);
        // ResidualCfg.Combine (initialize, guiding): the negative item's noise replaces stock item 0 first.
        string stock = GraphNames.StockShifted;
        if (s.Guides && s.Cfg == CfgType.Initialize)
        {
            string negative = o.Slice(noise, 0, 0, 1);
            stock = n > 1 ? o.Concat(0, [negative, o.Slice(stock, 0, 1, n)]) : negative;
        }

        string eps;
        if (!s.Guides)
        {
            eps = cond;
        }
        else
        {
            string g = o.Slice(GraphNames.Guidance, 0, 0, 1);
            string oneMinusG = o.Sub(o.Float(1f), g);
            // full: cond * g, then uncond * (1 - g) + that; self/initialize: the same with stock * ((1 - g) * delta).
            string negativeTerm = s.Cfg == CfgType.Full
                ? o.Mul(o.Slice(noise, 0, 0, n), oneMinusG)
                : o.Mul(stock, o.Mul(oneMinusG, o.Slice(GraphNames.Guidance, 0, 1, 2)));
            eps = o.Add(negativeTerm, o.Mul(cond, g));
        }

        // LcmScheduler.Step: x * P, then eps * Q + that.
        string x0 = o.Add(o.Mul(eps, q), o.Mul(GraphNames.X, p));

        // StreamBatch.Advance: the last item is the output; items 0..n-2 are re-noised to the next step.
        string last = n > 1 ? o.Slice(x0, 0, n - 1, n) : x0;
        o.CastFromFloat(o.Mul(last, GraphNames.OutputScale), decoderType, GraphNames.LatentOut);
        if (n > 1)
        {
            string aNext = o.Slice(Column(4), 0, 0, n - 1), bNext = o.Slice(Column(5), 0, 0, n - 1);
            string nextNoise = o.Slice(GraphNames.InitNoise, 0, 1, n);
            o.Add(o.Mul(nextNoise, bNext), o.Mul(o.Slice(x0, 0, 0, n - 1), aNext), GraphNames.BufferNext);
        }

        // ResidualCfg.UpdateStock (self/initialize, guiding or not): items 0..n-2 become
        // stock * ps, then eps * qs + that, then + init_noise[k + 1]; the last item keeps its value.
        if ((s.Cfg == CfgType.Self || s.Cfg == CfgType.Initialize) && n > 1)
        {
            string ps = o.Slice(Column(2), 0, 0, n - 1), qs = o.Slice(Column(3), 0, 0, n - 1);
            string kept = o.Add(o.Mul(o.Slice(eps, 0, 0, n - 1), qs), o.Mul(o.Slice(stock, 0, 0, n - 1), ps));
            string updated = o.Add(kept, o.Slice(GraphNames.InitNoise, 0, 1, n));
            o.Concat(0, [updated, o.Slice(stock, 0, n - 1, n)], GraphNames.StockNext);
        }
        else
        {
            o.Identity(stock, GraphNames.StockNext);
        }

        o.Graph.AddOutput(GraphNames.LatentOut, decoderType, 1, c, h, w);
        if (n > 1) o.Graph.AddOutput(GraphNames.BufferNext, OnnxElementType.Float, n - 1, c, h, w);
        o.Graph.AddOutput(GraphNames.StockNext, OnnxElementType.Float, n, c, h, w);
        return o.ToBytes();
    }

    /// <summary>assemble_constants = [latent_scale, a_0, b_0].</summary>
    public static void AssembleConstants(in StepConstants first, float latentScale, Span<float> destination)
    {
        if (destination.Length != 3) throw new ArgumentException($"assemble_constants holds 3 values, found {destination.Length}");
        destination[0] = latentScale;
        destination[1] = first.SignalScale;
        destination[2] = first.NoiseScale;
    }

    /// <summary>
    /// item_constants [n,6] for the steps, computed in float as the CPU code does: P, Q (LcmScheduler.Step),
    /// ps = P * b * (a_next / b_next) and qs = Q * (a_next / b_next) (ResidualCfg.UpdateStock), a_next,
    /// b_next (StreamBatch.Advance); the last item's ps, qs, a_next and b_next are 0 (unused).
    /// </summary>
    public static void ItemConstants(ReadOnlySpan<StepConstants> steps, Span<float> destination)
    {
        int n = steps.Length;
        if (destination.Length != n * ItemConstantCount)
            throw new ArgumentException($"item_constants for {n} steps holds {n * ItemConstantCount} values, found {destination.Length}");
        for (int k = 0; k < n; k++)
        {
            StepConstants step = steps[k];
            Span<float> row = destination.Slice(k * ItemConstantCount, ItemConstantCount);
            row.Clear();
            row[0] = step.SampleCoefficient;
            row[1] = step.NoiseCoefficient;
            if (k + 1 == n) continue;
            StepConstants next = steps[k + 1];
            float ratio = next.SignalScale / next.NoiseScale;
            row[2] = step.SampleCoefficient * step.NoiseScale * ratio;
            row[3] = step.NoiseCoefficient * ratio;
            row[4] = next.SignalScale;
            row[5] = next.NoiseScale;
        }
    }
}
