using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Diffusion.Tests;

public class SettingsTests
{
    [Fact]
    public void ContractKeysParse()
    {
        var s = EffectSettings.FromJson("""
            {"prompt":"a cat","negative_prompt":"blurry","styles":["Ink: black ink","Neon: neon glow"],"style_index":1,
             "strength":0.7,"steps":3,"guidance_scale":1.4,"delta":0.8,"cfg_type":"initialize","seed":42,
             "similarity_threshold":0.95,"resolution":256,"fit_mode":"fit","model_dir":"/m","execution_provider":"cuda",
             "transition_frames":12,"bypass":false,"unknown_key":1}
            """);
        Assert.Equal(("a cat", "blurry", 1, 0.7, 3), (s.Prompt, s.NegativePrompt, s.StyleIndex, s.Strength, s.Steps));
        Assert.Equal((1.4f, 0.8f, CfgType.Initialize, 42L), (s.GuidanceScale, s.Delta, s.CfgType, s.Seed));
        Assert.Equal((0.95, 256, FitMode.Fit, "/m", ExecutionProviderKind.Cuda, 12, false),
            (s.SimilarityThreshold, s.Resolution, s.FitMode, s.ModelDir, s.ExecutionProvider, s.TransitionFrames, s.Bypass));
        Assert.Equal("neon glow", s.StyleText());
        Assert.Equal("a cat, neon glow", EffectSettings.Compose(s.Prompt, s.StyleText()));
        Assert.Equal("neon glow", EffectSettings.Compose("", "neon glow"));
        Assert.Equal("a cat", EffectSettings.Compose(" a cat ", ""));
    }

    [Theory]
    [InlineData("""{"strength": 1.5}""", "strength")]
    [InlineData("""{"steps": 5}""", "steps")]
    [InlineData("""{"cfg_type": "half"}""", "cfg_type")]
    [InlineData("""{"fit_mode": 3}""", "fit_mode")]
    [InlineData("""{"resolution": 100}""", "resolution")]
    [InlineData("""{"t_index_list": [45, 30]}""", "t_index_list")]
    [InlineData("""{"execution_provider": "opencl"}""", "execution_provider")]
    public void BadValuesNameTheKey(string json, string key)
    {
        var e = Assert.Throws<SettingsException>(() => EffectSettings.FromJson(json));
        Assert.Equal(key, e.Key);
    }

    [Fact]
    public void AbsentKeysKeepTheBaseline()
    {
        var a = EffectSettings.FromJson("""{"prompt":"x","seed":7}""");
        var b = EffectSettings.FromJson("""{"seed":8,"prompt_blend":[{"prompt":"p","weight":0.5}],"seed_blend":[{"seed":1,"weight":1}],"blend_mode":"slerp"}""", a);
        Assert.Equal(("x", 8L), (b.Prompt, b.Seed));
        Assert.Single(b.PromptBlend!);
        Assert.Equal(Blending.BlendMode.Slerp, b.BlendMode);
    }
}
