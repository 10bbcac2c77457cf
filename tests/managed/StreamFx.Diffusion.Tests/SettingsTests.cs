using System.Globalization;
using System.Text.Json;
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
             "transition_frames":12,"bypass":false,"unknown_key":1,
             "vae_dir":"/v","unload_after_hidden_s":0,"source_alpha":false}
            """);
        Assert.Equal(("a cat", "blurry", 1, 0.7, 3), (s.Prompt, s.NegativePrompt, s.StyleIndex, s.Strength, s.Steps));
        Assert.Equal((1.4f, 0.8f, CfgType.Initialize, 42L), (s.GuidanceScale, s.Delta, s.CfgType, s.Seed));
        Assert.Equal((0.95, 256, FitMode.Fit, "/m", ExecutionProviderKind.Cuda, 12, false),
            (s.SimilarityThreshold, s.Resolution, s.FitMode, s.ModelDir, s.ExecutionProvider, s.TransitionFrames, s.Bypass));
        Assert.Equal(("/v", 0, false), (s.VaeDir, s.UnloadAfterHiddenSeconds, s.SourceAlpha));
        Assert.Equal("neon glow", s.StyleText());
        Assert.Equal("a cat, neon glow", EffectSettings.Compose(s.Prompt, s.StyleText()));
        Assert.Equal("neon glow", EffectSettings.Compose("", "neon glow"));
        Assert.Equal("a cat", EffectSettings.Compose(" a cat ", ""));
    }

    /// <summary>The shim sends obs_data's JSON: the editable list's [{"value": ...}] entries, keys sorted, 17-digit doubles.</summary>
    [Fact]
    public void ShimConfigureParses()
    {
        var s = EffectSettings.FromJson("""
            {"active":true,"bypass":false,"cfg_type":"self","delta":1.0,"effective_prompt":"a cat, ink",
             "similarity_threshold":0.97999999999999998,"style_index":0,"style_name":"Ink",
             "styles":[{"value":"Ink: ink"},{"value":"Neon: neon glow"}],"vae_dir":""}
            """);
        Assert.Equal(["Ink: ink", "Neon: neon glow"], s.Styles);
        Assert.Equal(0.98, s.SimilarityThreshold);
        Assert.Null(s.VaeDir);
    }

    [Theory]
    [InlineData("""{"strength": 1.5}""", "strength")]
    [InlineData("""{"steps": 5}""", "steps")]
    [InlineData("""{"cfg_type": "half"}""", "cfg_type")]
    [InlineData("""{"fit_mode": 3}""", "fit_mode")]
    [InlineData("""{"resolution": 100}""", "resolution")]
    [InlineData("""{"resolution": 0}""", "resolution")]
    [InlineData("""{"resolution": 2048}""", "resolution")]
    [InlineData("""{"seed": -1}""", "seed")]
    [InlineData("""{"seed": 2147483648}""", "seed")]
    [InlineData("""{"style_index": 32}""", "style_index")]
    [InlineData("""{"styles": [{"name": "x"}]}""", "styles")]
    [InlineData("""{"styles": [{"value": 3}]}""", "styles")]
    [InlineData("""{"unload_after_hidden_s": 3601}""", "unload_after_hidden_s")]
    [InlineData("""{"source_alpha": 1}""", "source_alpha")]
    [InlineData("""{"t_index_list": [45, 30]}""", "t_index_list")]
    [InlineData("""{"execution_provider": "opencl"}""", "execution_provider")]
    public void BadValuesNameTheKey(string json, string key)
    {
        var e = Assert.Throws<SettingsException>(() => EffectSettings.FromJson(json));
        Assert.Equal(key, e.Key);
    }

    [Fact]
    public void TensorRtRtxIsAnExecutionProviderChoiceAndBadValuesListIt()
    {
        Assert.Equal(ExecutionProviderKind.TensorRtRtx, EffectSettings.FromJson("""{"execution_provider":"tensorrt-rtx"}""").ExecutionProvider);
        var e = Assert.Throws<SettingsException>(() => EffectSettings.FromJson("""{"execution_provider":"tensorrt_rtx"}"""));
        Assert.Contains("auto, tensorrt, tensorrt-rtx, cuda, directml or cpu", e.Message);
        Assert.Contains("tensorrt_rtx", e.Message);
        // The name written back (STATUS, logs) is the one the setting takes.
        Assert.Equal("tensorrt-rtx", ExecutionProviderNames.Name(ExecutionProviderKind.TensorRtRtx));
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

    // ---- The contract against docs/settings.schema.json (the file the C table is generated from too) ----

    private static JsonElement[] SchemaSettings()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "settings.schema.json")));
        return doc.RootElement.GetProperty("settings").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    private static double Number(JsonElement setting, string name, double fallback = 0) =>
        setting.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;

    [Fact]
    public void ContractTableIsTheSchema()
    {
        JsonElement[] schema = SchemaSettings();
        Assert.Equal(schema.Select(s => s.GetProperty("key").GetString()), EffectSettings.Contract.Select(c => c.Key));
        foreach (var (setting, spec) in schema.Zip(EffectSettings.Contract))
        {
            string key = spec.Key;
            string kind = setting.GetProperty("kind").GetString()!;
            Assert.True(kind == spec.Kind switch
            {
                SettingKind.Text => "text", SettingKind.Path => "path", SettingKind.TextList => "text_list",
                SettingKind.Int => "int", SettingKind.Float => "float", SettingKind.Bool => "bool", _ => "choice",
            }, $"{key}: kind {spec.Kind}, schema {kind}");
            Assert.True((Number(setting, "min"), Number(setting, "max"), Number(setting, "step")) == (spec.Min, spec.Max, spec.Step),
                $"{key}: range {spec.Min}..{spec.Max} step {spec.Step}, schema {setting}");
            using var specDefault = JsonDocument.Parse(spec.DefaultJson);
            Assert.True(JsonElement.DeepEquals(setting.GetProperty("default"), specDefault.RootElement),
                $"{key}: default {spec.DefaultJson}, schema {setting.GetProperty("default").GetRawText()}");
            Assert.True(setting.GetProperty("reload").GetBoolean() == spec.ReloadsModel, $"{key}: reload {spec.ReloadsModel}");
            Assert.True((int)Number(setting, "max_bytes") == spec.MaxBytes && (int)Number(setting, "max_items") == spec.MaxItems,
                $"{key}: limits {spec.MaxBytes} bytes {spec.MaxItems} items");
            string[] choices = setting.TryGetProperty("choices", out var c) ? c.EnumerateArray().Select(x => x.GetProperty("value").GetString()!).ToArray() : [];
            Assert.Equal(choices, spec.Choices);
        }
    }

    /// <summary>The record's initial values are the schema's defaults, key by key (what the shim sends when nothing is set).</summary>
    [Fact]
    public void RecordDefaultsAreTheSchemaDefaults()
    {
        var defaults = new Dictionary<string, JsonElement>();
        foreach (var setting in SchemaSettings()) defaults[setting.GetProperty("key").GetString()!] = setting.GetProperty("default");
        var fresh = new EffectSettings();
        // Every key set from the schema over a baseline that differs in every contract key.
        var different = EffectSettings.FromJson("""
            {"prompt":"p","negative_prompt":"n","styles":["a"],"style_index":-1,"strength":0.1,"seed":9,"transition_frames":1,
             "bypass":true,"resolution":64,"fit_mode":"stretch","source_alpha":false,"model_dir":"/m","vae_dir":"/v",
             "execution_provider":"cpu","unload_after_hidden_s":5,"steps":4,"guidance_scale":9,"delta":9,"cfg_type":"full",
             "similarity_threshold":0.5}
            """);
        Assert.Equal(defaults.Count, EffectSettings.Contract.Count);
        string json = "{" + string.Join(",", defaults.Select(d => $"\"{d.Key}\":{d.Value.GetRawText()}")) + "}";
        var parsed = EffectSettings.FromJson(json, different);
        Assert.Equal(fresh.Styles, parsed.Styles);
        Assert.Equal(fresh with { Styles = [] }, parsed with { Styles = [] });
    }

    /// <summary>Each key accepts exactly its schema range: the edges pass, one step beyond is refused naming the key.</summary>
    [Fact]
    public void ParserAcceptsExactlyTheSchemaRanges()
    {
        foreach (var setting in SchemaSettings())
        {
            string key = setting.GetProperty("key").GetString()!;
            string kind = setting.GetProperty("kind").GetString()!;
            var accepted = new List<string>();
            var refused = new List<string>();
            string Num(double d) => d.ToString("R", CultureInfo.InvariantCulture);
            switch (kind)
            {
                case "int":
                {
                    double min = Number(setting, "min"), max = Number(setting, "max"), step = Number(setting, "step");
                    accepted.AddRange([Num(min), Num(max)]);
                    refused.AddRange([Num(min - 1), Num(max + 1), Num(min + 0.5)]);
                    if (step > 1) refused.AddRange([Num(min + step / 2), Num(min - step), Num(max + step)]);
                    break;
                }
                case "float":
                {
                    double min = Number(setting, "min"), max = Number(setting, "max");
                    accepted.AddRange([Num(min), Num(max)]);
                    refused.AddRange([Num(min - 0.001), Num(max + 0.001), "\"1\""]);
                    break;
                }
                case "bool":
                    accepted.AddRange(["true", "false"]);
                    refused.AddRange(["0", "\"true\""]);
                    break;
                case "choice":
                    accepted.AddRange(setting.GetProperty("choices").EnumerateArray().Select(c => "\"" + c.GetProperty("value").GetString() + "\""));
                    refused.AddRange(["\"bogus\"", "0"]);
                    break;
                case "text":
                case "path":
                {
                    int bytes = (int)Number(setting, "max_bytes");
                    accepted.AddRange(["\"\"", "\"" + new string('a', bytes) + "\""]);
                    refused.AddRange(["\"" + new string('a', bytes + 1) + "\"", "1"]);
                    break;
                }
                case "text_list":
                {
                    int items = (int)Number(setting, "max_items"), bytes = (int)Number(setting, "max_bytes");
                    string Entries(int n, int len) => "[" + string.Join(",", Enumerable.Repeat("{\"value\":\"" + new string('a', len) + "\"}", n)) + "]";
                    accepted.AddRange(["[]", Entries(items, bytes)]);
                    refused.AddRange([Entries(items + 1, 1), Entries(1, bytes + 1), "\"a\""]);
                    break;
                }
                default:
                    Assert.Fail($"{key}: kind {kind} has no check here");
                    break;
            }

            foreach (string value in accepted)
            {
                var ex = Record.Exception(() => EffectSettings.FromJson($"{{\"{key}\":{value}}}"));
                Assert.True(ex is null, $"{key}={Short(value)} refused: {ex?.Message}");
            }

            foreach (string value in refused)
            {
                var e = Assert.Throws<SettingsException>(() => EffectSettings.FromJson($"{{\"{key}\":{value}}}"));
                Assert.True(e.Key == key || e.Key.StartsWith(key + "[", StringComparison.Ordinal), $"{key}={Short(value)}: error names '{e.Key}'");
            }
        }
    }

    private static string Short(string value) => value.Length > 40 ? value[..40] + "..." : value;
}
