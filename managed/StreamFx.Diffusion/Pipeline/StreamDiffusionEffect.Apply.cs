using Microsoft.ML.OnnxRuntime;
using StreamFx.Diffusion.Blending;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Model;
using StreamFx.Diffusion.Runtime;
using StreamFx.Diffusion.Scheduling;
using StreamFx.Diffusion.Streaming;

namespace StreamFx.Diffusion.Pipeline;

// Settings as one transaction: validate, then rebuild on the side (may fail), then commit (cannot fail).
public sealed partial class StreamDiffusionEffect
{
    /// <summary>
    /// Applies <paramref name="s"/> as one transaction: everything that can fail (validation, new ONNX
    /// stages for another resolution, text encoding) is done first, on the side; only then are the
    /// running state's fields swapped, by steps that cannot fail. A failure (an
    /// <see cref="OnnxRuntimeException"/> included) leaves the previous settings and stages running.
    /// </summary>
    private void Apply(EffectSettings s, bool initial)
    {
        ValidSettings valid = Validate(s);
        PreparedSettings prepared = Prepare(s, valid, initial);
        Commit(s, prepared, initial);
    }

    /// <summary>What validation derived from the settings: the timestep indices and the processing resolution.</summary>
    private readonly record struct ValidSettings(int[] TIndex, int Resolution);

    /// <summary>
    /// Everything built on the side for one <see cref="Apply"/>; only <see cref="Commit"/> makes it live.
    /// Null members mean "keep what runs".
    /// </summary>
    private sealed record PreparedSettings(
        int[] TIndex, ResolutionStages? Stages, StreamBatch? Batch, float[]? Noise,
        float[] Target, float[] Uncond, bool ScheduleChanged, bool NoiseChanged);

    /// <summary>Checks the settings against each other and the model; throws <see cref="ArgumentException"/> naming the field.</summary>
    private ValidSettings Validate(EffectSettings s)
    {
        int[] tIndex = s.TIndexList ?? TimestepSelection.FromStrength(s.Strength, s.Steps);
        TimestepSelection.Validate(tIndex);
        if (s.SeedBlend is { Count: > 0 } && s.SeedBlend.Sum(w => w.Weight) <= 0)
            throw new ArgumentException("seed_blend weights must not all be 0");
        if (s.PromptBlend is { Count: > 0 } && s.PromptBlend.Sum(w => w.Weight) <= 0)
            throw new ArgumentException("prompt_blend weights must not all be 0");
        int resolution = s.Resolution > 0 ? s.Resolution : _manifest.Resolution;
        if (resolution % _manifest.VaeScaleFactor != 0 || resolution < 64)
            throw new ArgumentException($"resolution must be a multiple of {_manifest.VaeScaleFactor} and at least 64, found {resolution}");
        return new ValidSettings(tIndex, resolution);
    }

    /// <summary>
    /// Builds what <paramref name="s"/> needs and the running state lacks (stages for another resolution, a
    /// new schedule batch or noise, the bound UNet run, the conditioning), touching nothing the running
    /// frames use. On failure the stages built here are disposed and the exception goes on.
    /// </summary>
    private PreparedSettings Prepare(EffectSettings s, ValidSettings valid, bool initial)
    {
        EffectSettings old = _settings;
        int[] tIndex = valid.TIndex;
        ResolutionStages? stages = _unet is null || valid.Resolution != _resolution ? ResolutionStages.Create(_sessions, _runOptions, _manifest, valid.Resolution) : null;
        try
        {
            StreamBatch? batch = null;
            float[]? noise = null;
            float[] target = new float[_cond.Length];
            float[] uncond = new float[_uncond.Length];
            int latentLength = stages?.LatentLength ?? _latentLength;
            bool scheduleChanged = initial || stages is not null || !tIndex.AsSpan().SequenceEqual(_tIndexList);
            bool noiseChanged = scheduleChanged || s.Seed != old.Seed || !SameSeeds(s.SeedBlend, old.SeedBlend) || s.BlendMode != old.BlendMode;
            if (scheduleChanged)
                batch = new StreamBatch(tIndex.Select(_scheduler.ConstantsForIndex).ToArray(), 1, latentLength, MakeNoise(s, tIndex.Length, latentLength));
            else if (noiseChanged)
                noise = MakeNoise(s, tIndex.Length, latentLength);
            // A bound run per UNet batch size is cached; creating one can fail, using it later cannot.
            (stages?.Unet ?? _unet!).Prepare(ResidualCfg.UnetBatchSize(s.CfgType, s.GuidanceScale, tIndex.Length));

            // Conditioning: prompt (or weighted prompts) followed by the style text; cached per text.
            string style = s.StyleText();
            if (s.PromptBlend is { Count: > 0 } blend)
            {
                var items = blend.Select(p => _embeddings.Get(EffectSettings.Compose(p.Text, style))).ToList();
                VectorBlend.BlendMany(s.BlendMode, items, blend.Select(p => p.Weight).ToArray(), target);
            }
            else
                _embeddings.Get(EffectSettings.Compose(s.Prompt, style)).CopyTo(target, 0);
            _embeddings.Get(s.NegativePrompt.Trim()).CopyTo(uncond, 0);
            return new PreparedSettings(tIndex, stages, batch, noise, target, uncond, scheduleChanged, noiseChanged);
        }
        catch
        {
            stages?.Dispose();
            throw;
        }
    }

    /// <summary>Makes <paramref name="p"/> live: plain assignments and copies only, so it cannot fail half way.</summary>
    private void Commit(EffectSettings s, PreparedSettings p, bool initial)
    {
        EffectSettings old = _settings;
        _settings = s;
        if (p.Stages is not null)
            Adopt(p.Stages);
        if (p.Batch is not null)
        {
            _tIndexList = p.TIndex;
            // The denoiser holds the predictor: a new UNet stage needs a new denoiser.
            if (_denoiser is null || p.Stages is not null) _denoiser = new StreamDenoiser(_unet!, p.Batch, s.CfgType, s.GuidanceScale, s.Delta);
            else _denoiser.SetBatch(p.Batch);
        }
        else if (p.Noise is not null)
            _denoiser!.SetInitNoise(p.Noise);
        _denoiser!.SetGuidance(s.CfgType, s.GuidanceScale, s.Delta);
        _unet!.SetGuidanceScale(s.GuidanceScale);

        _skip.Threshold = s.SimilarityThreshold;
        _skip.MaxSkipFrames = s.MaxSkipFrames;

        bool uncondChanged = !_uncond.AsSpan().SequenceEqual(p.Uncond);
        p.Uncond.CopyTo(_uncond, 0);
        bool condChanged = !_hasCond || !p.Target.AsSpan().SequenceEqual(_condTarget);
        p.Target.CopyTo(_condTarget, 0);
        if (condChanged && _hasCond && s.TransitionFrames > 0)
            _transition.Start(_cond, p.Target, s.TransitionFrames, s.BlendMode);
        else if (condChanged)
        {
            _transition.Cancel();
            p.Target.CopyTo(_cond, 0);
        }
        _hasCond = true;
        _unet!.SetEmbeddings(_cond, _uncond);

        // The previous output no longer matches these settings: a still input must not be skipped as
        // "similar" and keep showing it (up to max_skip_frames frames).
        if (!initial && OutputAffected(old, s, p.ScheduleChanged || p.NoiseChanged, condChanged || uncondChanged))
            _skip.Reset();
        Status.TIndexList = p.TIndex;
        Status.UnetBatch = _denoiser.UnetBatch;
        Status.TextEncoderCalls = _text.Calls;
    }

    /// <summary>Whether frames made under <paramref name="old"/> differ from what <paramref name="now"/> would make.</summary>
    private static bool OutputAffected(EffectSettings old, EffectSettings now, bool scheduleOrNoise, bool conditioning) =>
        scheduleOrNoise || conditioning
        || old.CfgType != now.CfgType || old.GuidanceScale != now.GuidanceScale || old.Delta != now.Delta
        || old.Bypass != now.Bypass || old.FitMode != now.FitMode;

    private static bool SameSeeds(IReadOnlyList<WeightedSeed>? a, IReadOnlyList<WeightedSeed>? b) =>
        (a is null || a.Count == 0) ? (b is null || b.Count == 0) : b is not null && a.SequenceEqual(b);

    private static float[] MakeNoise(EffectSettings s, int steps, int latentLength)
    {
        var noise = new float[steps * latentLength];
        if (s.SeedBlend is { Count: > 0 } seeds)
            GaussianNoise.FillBlend(s.BlendMode, seeds.Select(w => (w.Seed, w.Weight)).ToList(), noise);
        else
            GaussianNoise.Fill(s.Seed, noise);
        return noise;
    }

    /// <summary>Swaps in the stages and buffers of another resolution; the old stages are disposed only now.</summary>
    private void Adopt(ResolutionStages next)
    {
        _encoder?.Dispose();
        _decoder?.Dispose();
        _unet?.Dispose();
        _resolution = next.Resolution;
        _latentLength = next.LatentLength;
        _encoder = next.Encoder;
        _decoder = next.Decoder;
        _unet = next.Unet;
        _image = new float[3 * next.Resolution * next.Resolution];
        _decoded = new float[_image.Length];
        _latent = new float[_latentLength];
        _x0 = new float[_latentLength];
        _resampler = null;
        _hasOutput = false;
    }

    /// <summary>The ONNX stages bound for one processing resolution, built whole before any is used.</summary>
    private sealed record ResolutionStages(int Resolution, int LatentSide, int LatentLength, AutoencoderStage Encoder, AutoencoderStage Decoder, UnetStage Unet) : IDisposable
    {
        public static ResolutionStages Create(DiffusionSessions sessions, RunOptions runOptions, DiffusionManifest manifest, int resolution)
        {
            int latentSide = resolution / manifest.VaeScaleFactor;
            AutoencoderStage? encoder = null, decoder = null;
            try
            {
                encoder = AutoencoderStage.Encoder(sessions.VaeEncoder, runOptions, manifest, resolution);
                decoder = AutoencoderStage.Decoder(sessions.VaeDecoder, runOptions, manifest, resolution);
                var unet = new UnetStage(sessions.Unet, runOptions, manifest, latentSide, latentSide);
                return new ResolutionStages(resolution, latentSide, manifest.LatentChannels * latentSide * latentSide, encoder, decoder, unet);
            }
            catch
            {
                encoder?.Dispose();
                decoder?.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            Encoder.Dispose();
            Decoder.Dispose();
            Unet.Dispose();
        }
    }
}
