using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Scheduling;

namespace StreamFx.Diffusion.Streaming;

/// <summary>
/// One Stream Batch call: assemble the batch, expand it for RCFG, run the noise predictor once,
/// guide, take the LCM step, update stock noise and buffer. All buffers are allocated when the
/// configuration changes, never per call. While the buffer is not yet warm, the first frame is run
/// again until it is, so the n-1 outputs of an empty buffer are never returned.
/// </summary>
public sealed class StreamDenoiser
{
    private readonly INoisePredictor _predictor;
    private StreamBatch _batch;
    private ResidualCfg _cfg;
    private float[] _x;
    private float[] _eps;
    private float[] _x0;
    private float[] _unetSample;
    private float[] _unetNoise;
    private int[] _unetTimesteps;
    private int _unetBatch;

    public StreamDenoiser(INoisePredictor predictor, StreamBatch batch, CfgType cfgType, float guidanceScale, float delta)
    {
        _predictor = predictor;
        _batch = batch;
        _cfg = new ResidualCfg(batch.Items, batch.LatentLength) { Type = cfgType, GuidanceScale = guidanceScale, Delta = delta };
        _cfg.ResetStock(batch.InitNoise);
        _x = new float[batch.Items * batch.LatentLength];
        _eps = new float[_x.Length];
        _x0 = new float[_x.Length];
        _unetSample = Array.Empty<float>();
        _unetNoise = Array.Empty<float>();
        _unetTimesteps = Array.Empty<int>();
        SizeUnetBuffers();
    }

    public StreamBatch Batch => _batch;
    public ResidualCfg Cfg => _cfg;

    /// <summary>Predictor calls made so far (warm-up calls included).</summary>
    public long PredictorCalls { get; private set; }

    public int UnetBatch => _unetBatch;

    /// <summary>Changes guidance live; keeps the buffer and the stock noise.</summary>
    public void SetGuidance(CfgType type, float guidanceScale, float delta)
    {
        if (type != _cfg.Type) _cfg.ResetStock(_batch.InitNoise);
        _cfg.Type = type;
        _cfg.GuidanceScale = guidanceScale;
        _cfg.Delta = delta;
        SizeUnetBuffers();
    }

    /// <summary>Replaces the stream batch (t_index_list or frame buffer change): buffers are re-sized here, once.</summary>
    public void SetBatch(StreamBatch batch)
    {
        var old = _cfg;
        _batch = batch;
        _cfg = new ResidualCfg(batch.Items, batch.LatentLength) { Type = old.Type, GuidanceScale = old.GuidanceScale, Delta = old.Delta };
        _cfg.ResetStock(batch.InitNoise);
        _x = new float[batch.Items * batch.LatentLength];
        _eps = new float[_x.Length];
        _x0 = new float[_x.Length];
        SizeUnetBuffers();
    }

    /// <summary>Replaces the noise (seed change): the buffer and stock noise start again.</summary>
    public void SetInitNoise(ReadOnlySpan<float> noise)
    {
        _batch.SetInitNoise(noise);
        _cfg.ResetStock(_batch.InitNoise);
    }

    /// <summary>Denoises f latents (f*L values) into <paramref name="output"/>; warms the buffer first when needed.</summary>
    public void Denoise(ReadOnlySpan<float> latents, Span<float> output)
    {
        while (!_batch.IsWarm)
            RunOnce(latents, output);
        RunOnce(latents, output);
    }

    private void RunOnce(ReadOnlySpan<float> latents, Span<float> output)
    {
        var batch = _batch;
        var cfg = _cfg;
        batch.Assemble(latents, _x);
        cfg.ShiftStock(batch.InitNoise, batch.FrameBufferSize);
        int L = batch.LatentLength;
        Span<float> unetSample = _unetSample.AsSpan(0, _unetBatch * L);
        Span<int> unetTimesteps = _unetTimesteps.AsSpan(0, _unetBatch);
        Span<float> unetNoise = _unetNoise.AsSpan(0, _unetBatch * L);
        cfg.Expand(_x, batch.ItemTimesteps, unetSample, unetTimesteps);
        _predictor.Predict(unetSample, unetTimesteps, cfg.UncondLeading, unetNoise);
        PredictorCalls++;
        cfg.Combine(unetNoise, _eps);
        for (int j = 0; j < batch.Items; j++)
        {
            var k = batch.ItemConstants(j);
            LcmScheduler.Step(_x.AsSpan(j * L, L), _eps.AsSpan(j * L, L), k, _x0.AsSpan(j * L, L));
        }
        cfg.UpdateStock(_eps, batch);
        batch.Advance(_x0, output);
    }

    private void SizeUnetBuffers()
    {
        _unetBatch = _cfg.UnetBatch;
        int maxBatch = 2 * _batch.Items;
        int L = _batch.LatentLength;
        if (_unetSample.Length != maxBatch * L)
        {
            // Sized for the largest layout (full CFG) so guidance changes never re-allocate.
            _unetSample = new float[maxBatch * L];
            _unetNoise = new float[maxBatch * L];
            _unetTimesteps = new int[maxBatch];
        }
    }
}
