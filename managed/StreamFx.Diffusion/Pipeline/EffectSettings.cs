using System.Text;
using System.Text.Json;
using StreamFx.Diffusion.Blending;

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

/// <summary>How a contract key's value is written (docs/settings.schema.json "kind").</summary>
public enum SettingKind { Text, Path, TextList, Int, Float, Bool, Choice }

/// <summary>
/// One key of the controls contract as generated from docs/settings.schema.json: range (int, float),
/// default as JSON text, whether a change reloads the model, choices, and byte/item limits.
/// </summary>
public sealed record SettingSpec(
    string Key, SettingKind Kind, double Min, double Max, double Step, string DefaultJson, bool ReloadsModel,
    IReadOnlyList<string> Choices, int MaxBytes, int MaxItems);

/// <summary>
/// The live controls. The contract keys (their properties, defaults, ranges and parser) are generated from
/// docs/settings.schema.json into EffectSettings.Contract.cs, the same file the C shim's table comes from.
/// Library extras, all optional and not part of the filter's panel: t_index_list (overrides
/// strength/steps), prompt_blend [{prompt, weight}], seed_blend [{seed, weight}], blend_mode
/// (linear|slerp), max_skip_frames.
/// </summary>
public sealed partial record EffectSettings
{
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
                if (TryParseContractKey(p.Name, v, ref s)) continue;
                s = p.Name switch
                {
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

    // The helpers below check contract keys with the ranges generated from the schema.

    private static string Text(string key, JsonElement v, int maxBytes)
    {
        string text = Str(key, v);
        int bytes = Encoding.UTF8.GetByteCount(text);
        return bytes <= maxBytes ? text : throw new SettingsException(key, $"at most {maxBytes} bytes of UTF-8", $"{bytes} bytes");
    }

    /// <summary>A path: "" means not set (null).</summary>
    private static string? OptionalText(string key, JsonElement v, int maxBytes) => Text(key, v, maxBytes) is { Length: > 0 } t ? t : null;

    private static long Integer(string key, JsonElement v, long min, long max, long step)
    {
        string expected = step > 1 ? $"a multiple of {step} in {min}..{max}" : $"an integer in {min}..{max}";
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) && l >= min && l <= max && (l - min) % step == 0
            ? l
            : throw Bad(key, expected, v);
    }

    private static bool Boolean(string key, JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Bad(key, "true or false", v),
    };

    /// <summary>
    /// Strings, each either plain or as libobs' editable list stores it ({"value": "..."}): the shim sends
    /// obs_data's JSON as it is.
    /// </summary>
    private static IReadOnlyList<string> TextList(string key, JsonElement v, int maxItems, int maxBytes)
    {
        const string Expected = "an array of strings or of {\"value\": string}";
        if (v.ValueKind != JsonValueKind.Array) throw Bad(key, Expected, v);
        int count = v.GetArrayLength();
        if (count > maxItems) throw new SettingsException(key, $"at most {maxItems} entries", $"{count}");
        var list = new List<string>(count);
        int index = 0;
        foreach (var e in v.EnumerateArray())
        {
            JsonElement text = e;
            if (e.ValueKind == JsonValueKind.Object && !e.TryGetProperty("value", out text)) throw Bad(key, Expected, e);
            if (text.ValueKind != JsonValueKind.String) throw Bad(key, Expected, e);
            list.Add(Text($"{key}[{index}]", text, maxBytes));
            index++;
        }

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
