using StreamFx.Diffusion.Filtering;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Diffusion.Tests;

[Collection("packs")]
public class EffectTests(SyntheticPacks packs)
{
    // The 64x64 test packs, no style and no transition unless a test sets them (the contract's defaults are the panel's).
    private static readonly EffectSettings Cpu = new()
    {
        ExecutionProvider = ExecutionProviderKind.Cpu, Prompt = "a photo of a cat", Strength = 0.6, Steps = 1,
        Resolution = 64, Styles = [], StyleIndex = -1, TransitionFrames = 0,
    };

    /// <summary>A w x h test frame: smooth gradients plus a moving square (t).</summary>
    internal static byte[] Frame(int w, int h, int t = 0, int rowBytes = 0)
    {
        rowBytes = rowBytes == 0 ? w * 4 : rowBytes;
        var px = new byte[rowBytes * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * rowBytes + x * 4;
                bool square = x >= t % w && x < t % w + w / 4 && y >= h / 3 && y < h / 3 + h / 4;
                px[p] = (byte)(x * 255 / Math.Max(1, w - 1));
                px[p + 1] = (byte)(y * 255 / Math.Max(1, h - 1));
                px[p + 2] = square ? (byte)255 : (byte)64;
                px[p + 3] = 255;
            }
        return px;
    }

    private static byte[] Run(StreamDiffusionEffect fx, byte[] frame, int w, int h)
    {
        var output = new byte[frame.Length];
        Assert.True(fx.Process(frame, output, w, h, w * 4, PixelLayout.Rgba));
        return output;
    }

    private static double Distance(byte[] a, byte[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (a[i] - b[i]) * (double)(a[i] - b[i]);
        return Math.Sqrt(sum);
    }

    [Fact]
    public void SameFramePromptAndSeedGiveIdenticalOutput()
    {
        var frame = Frame(80, 48);
        byte[] a, b;
        using (var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu)) a = Run(fx, frame, 80, 48);
        using (var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu)) b = Run(fx, frame, 80, 48);
        Assert.Equal(a, b);
        Assert.NotEqual(frame, a); // the model did something
    }

    [Fact]
    public void ChangingThePromptOrSeedChangesTheOutputWithoutNewSessions()
    {
        var frame = Frame(64, 64);
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu);
        var cat = Run(fx, frame, 64, 64);
        long textCalls = fx.Status.TextEncoderCalls;
        Assert.Equal(ConfigureOutcome.Applied, fx.Configure(Cpu with { Prompt = "a painting of a dog" }));
        Assert.Equal(textCalls + 1, fx.Status.TextEncoderCalls);
        var dog = Run(fx, frame, 64, 64);
        Assert.True(Distance(cat, dog) > 0, "a new prompt must change the output");
        // Back to the first prompt: served from the embedding cache, same output as before.
        fx.Configure(Cpu);
        Assert.Equal(textCalls + 1, fx.Status.TextEncoderCalls);
        Assert.Equal(cat, Run(fx, frame, 64, 64));
        fx.Configure(Cpu with { Seed = 99 });
        Assert.NotEqual(cat, Run(fx, frame, 64, 64));
        // model_dir / provider changes are not live.
        Assert.Equal(ConfigureOutcome.ReloadRequired, fx.Configure(Cpu with { ExecutionProvider = ExecutionProviderKind.Auto }));
    }

    [Fact]
    public void StyleTransitionGivesNIntermediateOutputsBetweenTheTwoStyles()
    {
        var frame = Frame(64, 64);
        var settings = Cpu with { Styles = ["Ink: black ink drawing", "Neon: glowing neon city at night"], StyleIndex = 0, TransitionFrames = 5, GuidanceScale = 1f, CfgType = CfgType.None };
        byte[] target;
        float[] targetEmbedding;
        using (var reference = new StreamDiffusionEffect(packs.Turbo64, settings with { StyleIndex = 1 }))
        {
            target = Run(reference, frame, 64, 64);
            targetEmbedding = reference.Conditioning.ToArray();
        }
        using var fx = new StreamDiffusionEffect(packs.Turbo64, settings);
        var start = Run(fx, frame, 64, 64);
        var startEmbedding = fx.Conditioning.ToArray();
        double full = EmbeddingDistance(startEmbedding, targetEmbedding);
        Assert.True(full > 0);
        fx.Configure(settings with { StyleIndex = 1 });
        var outputs = new List<byte[]> { start };
        for (int i = 1; i <= 5; i++)
        {
            outputs.Add(Run(fx, frame, 64, 64));
            // The conditioning moves linearly: frame i of 5 is (1 - i/5) of the way from the target.
            Assert.Equal(full * (1 - i / 5.0), EmbeddingDistance(fx.Conditioning.ToArray(), targetEmbedding), 3);
        }
        Assert.False(fx.Status.TransitionActive);
        // Four outputs strictly between the styles (neither endpoint, each new), the fifth is the new style.
        for (int i = 1; i < 5; i++)
        {
            Assert.NotEqual(start, outputs[i]);
            Assert.NotEqual(target, outputs[i]);
            Assert.NotEqual(outputs[i - 1], outputs[i]);
        }
        Assert.Equal(target, outputs[5]);
    }

    private static double EmbeddingDistance(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (a[i] - b[i]) * (double)(a[i] - b[i]);
        return Math.Sqrt(sum);
    }

    [Fact]
    public void StreamBatchWarmsUpOnTheFirstFrameThenOneUnetCallPerFrame()
    {
        var frame = Frame(64, 64);
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu with { TIndexList = [20, 35, 45] });
        Run(fx, frame, 64, 64);
        Assert.Equal(3, fx.Status.UnetCalls);          // n - 1 warm-up calls + the frame's own
        Assert.Equal(1, fx.Status.EncoderCalls);
        Assert.Equal(1, fx.Status.DecoderCalls);
        Run(fx, Frame(64, 64, 5), 64, 64);
        Assert.Equal(4, fx.Status.UnetCalls);
        Assert.Equal(new[] { 20, 35, 45 }, fx.Status.TIndexList);
    }

    [Theory]
    [InlineData(CfgType.None, 2)]
    [InlineData(CfgType.Self, 2)]
    [InlineData(CfgType.Initialize, 3)]
    [InlineData(CfgType.Full, 4)]
    public void UnetBatchFollowsCfgType(CfgType type, int expected)
    {
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu with { TIndexList = [30, 45], CfgType = type, GuidanceScale = 1.5f, NegativePrompt = "blurry" });
        Run(fx, Frame(64, 64), 64, 64);
        Assert.Equal(expected, fx.Status.UnetBatch);
    }

    [Fact]
    public void SkippedFrameCostsNoModelCallAndRepeatsThePreviousOutput()
    {
        var frame = Frame(64, 64);
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu with { SimilarityThreshold = 0.98, MaxSkipFrames = 2 },
            new EffectOptions { SkipRandom = new ScriptedUniform(0.0) });
        var first = Run(fx, frame, 64, 64);
        long unet = fx.Status.UnetCalls, enc = fx.Status.EncoderCalls, dec = fx.Status.DecoderCalls;
        var output = new byte[frame.Length];
        Assert.False(fx.Process(frame, output, 64, 64, 256, PixelLayout.Rgba));
        Assert.Equal(first, output);
        Assert.False(fx.Process(frame, output, 64, 64, 256, PixelLayout.Rgba));
        Assert.Equal((unet, enc, dec), (fx.Status.UnetCalls, fx.Status.EncoderCalls, fx.Status.DecoderCalls));
        Assert.Equal(2, fx.Status.FramesSkipped);
        // max_skip_frames = 2: the third identical frame runs.
        Assert.True(fx.Process(frame, output, 64, 64, 256, PixelLayout.Rgba));
        Assert.Equal(unet + 1, fx.Status.UnetCalls);
    }

    [Fact]
    public void Fp16PackWithFloatTimestepsAndInt32IdsRuns()
    {
        var frame = Frame(64, 64);
        using var fx = new StreamDiffusionEffect(packs.Lcm64Fp16, Cpu with { TIndexList = [32, 45], CfgType = CfgType.Self, GuidanceScale = 1.2f });
        var a = Run(fx, frame, 64, 64);
        Assert.NotEqual(frame, a);
        using var again = new StreamDiffusionEffect(packs.Lcm64Fp16, Cpu with { TIndexList = [32, 45], CfgType = CfgType.Self, GuidanceScale = 1.2f });
        Assert.Equal(a, Run(again, frame, 64, 64));
    }

    [Fact]
    public void BgraAndPaddedRowsMatchRgba()
    {
        const int w = 64, h = 64, stride = w * 4 + 16;
        var rgba = Frame(w, h);
        var bgra = new byte[stride * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = y * w * 4 + x * 4, d = y * stride + x * 4;
                bgra[d] = rgba[s + 2]; bgra[d + 1] = rgba[s + 1]; bgra[d + 2] = rgba[s]; bgra[d + 3] = rgba[s + 3];
            }
        byte[] a;
        using (var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu)) a = Run(fx, rgba, w, h);
        var b = new byte[bgra.Length];
        using (var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu)) Assert.True(fx.Process(bgra, b, w, h, stride, PixelLayout.Bgra));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = y * w * 4 + x * 4, d = y * stride + x * 4;
                Assert.Equal((a[s], a[s + 1], a[s + 2], a[s + 3]), (b[d + 2], b[d + 1], b[d], b[d + 3]));
            }
    }

    [Fact]
    public void BypassCopiesTheInput()
    {
        var frame = Frame(32, 16);
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu with { Bypass = true });
        Assert.Equal(frame, Run(fx, frame, 32, 16));
        Assert.Equal(0, fx.Status.UnetCalls);
    }

    [Fact]
    public void SteadyStateFramesDoNotAllocate()
    {
        const int w = 96, h = 64;
        var frames = Enumerable.Range(0, 4).Select(t => Frame(w, h, t * 7)).ToArray();
        var output = new byte[frames[0].Length];
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu with { TIndexList = [25, 40], CfgType = CfgType.Self, GuidanceScale = 1.3f, SimilarityThreshold = 0.98 });
        for (int i = 0; i < 5; i++) fx.Process(frames[i % 4], output, w, h, w * 4, PixelLayout.Rgba);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) fx.Process(frames[i % 4], output, w, h, w * 4, PixelLayout.Rgba);
        long perFrame = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        Assert.True(perFrame < 256, $"steady-state frames allocate {perFrame} bytes each");
    }

    [Fact]
    public void InvalidFrameArgumentsAreRejectedWithReasons()
    {
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu);
        var e = Assert.Throws<ArgumentException>(() => fx.Process(new byte[100], new byte[100], 64, 64, 256, PixelLayout.Rgba));
        Assert.Contains("needs 16384 bytes", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => fx.Process(new byte[100], new byte[100], 64, 64, 100, PixelLayout.Rgba));
        Assert.Throws<ArgumentException>(() => fx.Configure(Cpu with { TIndexList = [45, 30] }));
    }

    [Fact]
    public void SeedBlendAndStrengthAreLive()
    {
        var frame = Frame(64, 64);
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu with { Seed = 5 });
        var five = Run(fx, frame, 64, 64);
        Assert.Equal(ConfigureOutcome.Applied, fx.Configure(Cpu with { Seed = 1, SeedBlend = [new(5, 1f), new(6, 0f)] }));
        Assert.Equal(five, Run(fx, frame, 64, 64));
        fx.Configure(Cpu with { SeedBlend = [new(5, 1f), new(6, 1f)] });
        Assert.NotEqual(five, Run(fx, frame, 64, 64));
        fx.Configure(Cpu with { Strength = 1.0, Steps = 2 });
        Assert.Equal(new[] { 0, 25 }, fx.Status.TIndexList);
        Run(fx, frame, 64, 64);
        Assert.Equal(2, fx.Status.UnetBatch);
        Assert.True(Model.DiffusionManifest.Describes(packs.Turbo64));
        Assert.False(Model.DiffusionManifest.Describes(Path.GetTempPath()));
    }

    [Fact]
    public void ResolutionChangeOnCpuIsLive()
    {
        var frame = Frame(96, 64);
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu with { TIndexList = [30, 45] });
        var small = Run(fx, frame, 96, 64);
        Assert.Equal(ConfigureOutcome.Applied, fx.Configure(Cpu with { TIndexList = [30, 45], Resolution = 128 }));
        Assert.Equal(128, fx.ProcessingResolution);
        var large = Run(fx, frame, 96, 64);
        Assert.NotEqual(small, large);
        Assert.Equal(2, fx.Status.UnetBatch);
    }

    [Fact]
    public void PromptBlendEndpointsEqualSinglePrompts()
    {
        var frame = Frame(64, 64);
        using var fx = new StreamDiffusionEffect(packs.Turbo64, Cpu with { Prompt = "a photo of a dog" });
        var dog = Run(fx, frame, 64, 64);
        fx.Configure(Cpu with { PromptBlend = [new("a photo of a cat", 0f), new("a photo of a dog", 1f)], BlendMode = Blending.BlendMode.Slerp });
        Assert.Equal(dog, Run(fx, frame, 64, 64));
        fx.Configure(Cpu with { PromptBlend = [new("a photo of a cat", 1f), new("a photo of a dog", 1f)] });
        Assert.NotEqual(dog, Run(fx, frame, 64, 64));
    }
}
