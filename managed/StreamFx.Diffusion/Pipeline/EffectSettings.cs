using System.Text.Json;
using StreamFx.Diffusion.Blending;
using StreamFx.Diffusion.Guidance;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Runtime;

namespace StreamFx.Diffusion.Pipeline;

public readonly record struct WeightedPrompt(string Text, float Weight);
public readonly record struct WeightedSeed(long Seed, float Weight);

/// <summary>A settings value that does not meet the controls contract: names the key, expected and found.</summary>
public sealed class SettingsException(string key, string expected, string found)
    : Exception($"setting \"{key}\": expected {expected}, found {found}")
{
    public string Key { get; } = key;
    public string Expected { get; } = expected;
    public string Found { get; } = found;
}

/// <summary>
/// The live controls (keys of the controls contract, snake_case in JSON). Library extras, all optional:
/// t_index_list (overrides strength/steps), prompt_blend [{prompt, weight}], seed_blend [{seed, weight}],
/// blend_mode (linear|slerp), max_skip_frames.
/// </summary>
public sealed record EffectSettings
{
    public string Prompt { get; init; } = "";
    public string NegativePrompt { get; init; } = "";
    /// <summary>"Name: prompt text" entries.</summary>
    public IReadOnlyList<string> Styles { get; init; } = [];
    /// <summary>0-based index into <see cref="Styles"/>; negative = no style.</summary>
    public int StyleIndex { get; init; } = -1;
    public double Strength { get; init; } = 0.5;
    public int Steps { get; init; } = 1;
    public float GuidanceScale { get; init; } = 1.0f;
    public float Delta { get; init; } = 1.0f;
    public CfgType CfgType { get; init; } = CfgType.Self;
    public long Seed { get; init; } = 2;
    /// <summary>0 turns the similarity filter off.</summary>
    public double SimilarityThreshold { get; init; }
    /// <summary>0 = the manifest's resolution.</summary>
    public int Resolution { get; init; }
    public FitMode FitMode { get; init; } = FitMode.Crop;
    public string? ModelDir { get; init; }
    /// <summary>Folder to take the autoencoder from (e.g. a TAESD export); null = the model's own.</summary>
    public string? VaeDir { get; init; }
    public ExecutionProviderKind ExecutionProvider { get; init; } = ExecutionProviderKind.Auto;
    public int TransitionFrames { get; init; }
    public bool Bypass { get; init; }

    public int[]? TIndexList { get; init; }
    public IReadOnlyList<WeightedPrompt>? PromptBlend { get; init; }
    public IReadOnlyList<WeightedSeed>? SeedBlend { get; init; }
    public BlendMode BlendMode { get; init; } = BlendMode.Linear;
    public int MaxSkipFrames { get; init; } = 10;

    /// <summary>The style's prompt text (after "Name:"), or "" when none is selected.</summary>
    public string StyleText()
    {
        if (StyleIndex < 0 || StyleIndex >= Styles.Count) return "";
        string entry = Styles[StyleIndex];
        int colon = entry.IndexOf(':');
        return (colon >= 0 ? entry[(colon + 1)..] : entry).Trim();
    }

    /// <summary>What reaches the text encoder: the prompt followed by the style text, joined by ", " when both are present.</summary>
    public static string Compose(string prompt, string style)
    {
        prompt = prompt.Trim();
        style = style.Trim();
        if (prompt.Length == 0) return style;
        if (style.Length == 0) return prompt;
        return prompt + ", " + style;
    }

    /// <summary>Parses a CONFIGURE JSON object; absent keys keep <paramref name="baseline"/>'s values, unknown keys are ignored.</summary>
    public static EffectSettings FromJson(string json, EffectSettings? baseline = null)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new SettingsException("(json)", "a JSON object", e.Message); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new SettingsException("(json)", "a JSON object", root.ValueKind.ToString());
            var s = baseline ?? new EffectSettings();
            foreach (var p in root.EnumerateObject())
            {
                var v = p.Value;
                s = p.Name switch
                {
                    "prompt" => s with { Prompt = Str(p.Name, v) },
                    "negative_prompt" => s with { NegativePrompt = Str(p.Name, v) },
                    "styles" => s with { Styles = StrList(p.Name, v) },
                    "style_index" => s with { StyleIndex = Int(p.Name, v, -1, 1000) },
                    "strength" => s with { Strength = Num(p.Name, v, 0, 1) },
                    "steps" => s with { Steps = Int(p.Name, v, 1, 4) },
                    "guidance_scale" => s with { GuidanceScale = (float)Num(p.Name, v, 0, 20) },
                    "delta" => s with { Delta = (float)Num(p.Name, v, 0, 10) },
                    "cfg_type" => s with { CfgType = CfgTypeNames.TryParse(Str(p.Name, v), out var c) ? c : throw Bad(p.Name, "none, self, initialize or full", v) },
                    "seed" => s with { Seed = Long(p.Name, v) },
                    "similarity_threshold" => s with { SimilarityThreshold = Num(p.Name, v, 0, 1) },
                    "resolution" => s with { Resolution = Res(p.Name, v) },
                    "fit_mode" => s with { FitMode = FitModeNames.TryParse(Str(p.Name, v), out var f) ? f : throw Bad(p.Name, "crop, fit or stretch", v) },
                    "model_dir" => s with { ModelDir = Str(p.Name, v) is { Length: > 0 } d ? d : null },
                    "vae_dir" => s with { VaeDir = Str(p.Name, v) is { Length: > 0 } vd ? vd : null },
                    "execution_provider" => s with { ExecutionProvider = ExecutionProviderNames.TryParse(Str(p.Name, v), out var e) ? e : throw Bad(p.Name, "auto, tensorrt, cuda, directml or cpu", v) },
                    "transition_frames" => s with { TransitionFrames = Int(p.Name, v, 0, 600) },
                    "bypass" => s with { Bypass = v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Bad(p.Name, "true or false", v) } },
                    "t_index_list" => s with { TIndexList = IntList(p.Name, v) },
                    "prompt_blend" => s with { PromptBlend = PromptList(p.Name, v) },
                    "seed_blend" => s with { SeedBlend = SeedList(p.Name, v) },
                    "blend_mode" => s with { BlendMode = Str(p.Name, v) switch { "linear" => BlendMode.Linear, "slerp" => BlendMode.Slerp, _ => throw Bad(p.Name, "linear or slerp", v) } },
                    "max_skip_frames" => s with { MaxSkipFrames = Int(p.Name, v, 0, 1000) },
                    _ => s,
                };
            }
            return s;
        }
    }

    private static SettingsException Bad(string key, string expected, JsonElement v) => new(key, expected, v.GetRawText());

    private static string Str(string key, JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Bad(key, "a string", v);

    private static double Num(string key, JsonElement v, double min, double max) =>
        v.ValueKind == JsonValueKind.Number && v.GetDouble() is var d && d >= min && d <= max ? d : throw Bad(key, $"a number in {min}..{max}", v);

    private static int Int(string key, JsonElement v, int min, int max) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i >= min && i <= max ? i : throw Bad(key, $"an integer in {min}..{max}", v);

    private static long Long(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : throw Bad(key, "an integer", v);

    private static int Res(string key, JsonElement v)
    {
        int r = Int(key, v, 0, 2048);
        return r == 0 || (r >= 64 && r % 8 == 0) ? r : throw Bad(key, "0 (model default) or a multiple of 8 in 64..2048", v);
    }

    private static IReadOnlyList<string> StrList(string key, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Array) throw Bad(key, "an array of strings", v);
        var list = new List<string>();
        foreach (var e in v.EnumerateArray()) list.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad(key, "an array of strings", v));
        return list;
    }

    private static int[] IntList(string key, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Array) throw Bad(key, "an array of integers", v);
        var list = new List<int>();
        foreach (var e in v.EnumerateArray()) list.Add(Int(key, e, 0, 49));
        try { Scheduling.TimestepSelection.Validate(list.ToArray()); }
        catch (ArgumentException) { throw Bad(key, "1..4 strictly increasing indices in 0..49", v); }
        return list.ToArray();
    }

    private static IReadOnlyList<WeightedPrompt> PromptList(string key, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Array) throw Bad(key, "an array of {\"prompt\", \"weight\"}", v);
        var list = new List<WeightedPrompt>();
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("prompt", out var p) || !e.TryGetProperty("weight", out var w))
                throw Bad(key, "objects with \"prompt\" and \"weight\"", e);
            list.Add(new WeightedPrompt(Str(key, p), (float)Num(key, w, 0, 100)));
        }
        return list;
    }

    private static IReadOnlyList<WeightedSeed> SeedList(string key, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Array) throw Bad(key, "an array of {\"seed\", \"weight\"}", v);
        var list = new List<WeightedSeed>();
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("seed", out var sd) || !e.TryGetProperty("weight", out var w))
                throw Bad(key, "objects with \"seed\" and \"weight\"", e);
            list.Add(new WeightedSeed(Long(key, sd), (float)Num(key, w, 0, 100)));
        }
        return list;
    }
}
