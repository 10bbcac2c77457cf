using System.Globalization;
using System.Text.Json;
using StreamFx.ModelPack.Manifests;
using StreamFx.ModelPack.Validation;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>The manifest.json of a "stream-diffusion" folder (docs/models.md). Paths are relative to the folder.</summary>
public sealed record StreamDiffusionManifest
{
    public const string TextEncoderPath = "text_encoder/model.onnx";
    public const string UNetPath = "unet/model.onnx";
    public const string VaeEncoderPath = "vae_encoder/model.onnx";
    public const string VaeDecoderPath = "vae_decoder/model.onnx";
    public const string TokenizerFolder = "tokenizer";

    public required string Name { get; init; }

    public required string Family { get; init; }

    public string? Variant { get; init; }

    public int Resolution { get; init; } = 512;

    public int VaeScaleFactor { get; init; } = 8;

    public int LatentChannels { get; init; } = 4;

    public double LatentScale { get; init; } = 1.0;

    public required string ImageRange { get; init; }

    public required string TensorDtype { get; init; }

    public required string TimestepDtype { get; init; }

    public string InputIdsDtype { get; init; } = "int64";

    public required int TextHiddenSize { get; init; }

    public int MaxLength { get; init; } = 77;

    public string PredictionType { get; init; } = "epsilon";

    public string ScheduleType { get; init; } = "scaled_linear";

    public double BetaStart { get; init; } = NoiseSchedule.DefaultBetaStart;

    public double BetaEnd { get; init; } = NoiseSchedule.DefaultBetaEnd;

    public int TrainSteps { get; init; } = NoiseSchedule.DefaultTrainSteps;

    public int BosTokenId { get; init; } = ClipVocabularyIds.StartOfText;

    public int EosTokenId { get; init; } = ClipVocabularyIds.EndOfText;

    public required int PadTokenId { get; init; }

    public string TextEncoder { get; init; } = TextEncoderPath;

    public string UNet { get; init; } = UNetPath;

    public string VaeEncoder { get; init; } = VaeEncoderPath;

    public string VaeDecoder { get; init; } = VaeDecoderPath;

    public bool Synthetic { get; init; }

    public ulong? Seed { get; init; }

    public static StreamDiffusionManifest FromOptions(PackOptions options) => new()
    {
        Name = options.Name,
        Family = options.FamilyName,
        Variant = options.VariantName,
        Resolution = options.Resolution,
        ImageRange = options.ImageRange,
        TensorDtype = Onnx.OnnxElementTypeInfo.Name(options.TensorType),
        TimestepDtype = Onnx.OnnxElementTypeInfo.Name(options.TimestepType),
        InputIdsDtype = Onnx.OnnxElementTypeInfo.Name(options.InputIdsType),
        TextHiddenSize = options.TextHiddenSize,
        PadTokenId = options.PadTokenId,
        Synthetic = true,
        Seed = options.Seed,
    };

    public void Write(string folder) => ManifestJson.Write(folder, w =>
    {
        w.WriteString("kind", ModelKinds.StreamDiffusion);
        w.WriteNumber("format_version", ModelKinds.FormatVersion);
        w.WriteString("name", Name);
        w.WriteString("family", Family);
        if (Variant is not null)
        {
            w.WriteString("variant", Variant);
        }

        w.WriteNumber("resolution", Resolution);
        w.WriteNumber("vae_scale_factor", VaeScaleFactor);
        w.WriteNumber("latent_channels", LatentChannels);
        w.WritePropertyName("latent_scale");
        w.WriteRawValue(LatentScale.ToString("0.0###########", CultureInfo.InvariantCulture));
        w.WriteString("image_range", ImageRange);
        w.WriteString("tensor_dtype", TensorDtype);
        w.WriteString("timestep_dtype", TimestepDtype);
        w.WriteString("input_ids_dtype", InputIdsDtype);
        w.WriteNumber("text_hidden_size", TextHiddenSize);
        w.WriteNumber("max_length", MaxLength);
        w.WriteString("prediction_type", PredictionType);
        w.WriteStartObject("noise_schedule");
        w.WriteString("type", ScheduleType);
        w.WriteNumber("beta_start", BetaStart);
        w.WriteNumber("beta_end", BetaEnd);
        w.WriteNumber("train_steps", TrainSteps);
        w.WriteEndObject();
        w.WriteStartObject("tokenizer");
        w.WriteNumber("bos_token_id", BosTokenId);
        w.WriteNumber("eos_token_id", EosTokenId);
        w.WriteNumber("pad_token_id", PadTokenId);
        w.WriteEndObject();
        w.WriteStartObject("models");
        w.WriteString("text_encoder", TextEncoder);
        w.WriteString("unet", UNet);
        w.WriteString("vae_encoder", VaeEncoder);
        w.WriteString("vae_decoder", VaeDecoder);
        w.WriteEndObject();
        w.WriteBoolean("synthetic", Synthetic);
        if (Seed is ulong seed)
        {
            w.WriteNumber("seed", seed);
        }
    });

    /// <summary>Reads and validates folder/manifest.json; every error names the file and the field.</summary>
    /// <remarks>
    /// The generator's own read-back of what it wrote (the pack's validation and its tests), not a second
    /// loader of model folders: hosts and the pipeline read folders through StreamFx.Diffusion.Model.ModelFolder.
    /// This assembly stays free of that ONNX Runtime-bound one, so a pack is checked by an independent reader.
    /// </remarks>
    public static StreamDiffusionManifest Load(string folder)
    {
        string path = Path.Combine(folder, ManifestJson.FileName);
        if (!File.Exists(path))
        {
            throw new ModelFileException(path, "manifest not found (a model folder needs manifest.json, see docs/models.md)");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelFileException(path, "not valid JSON: " + e.Message, e);
        }

        using (doc)
        {
            var r = new FieldReader(path, doc.RootElement);
            string kind = r.String("kind", required: true)!;
            if (kind != ModelKinds.StreamDiffusion)
            {
                throw r.Error("kind", $"\"{ModelKinds.StreamDiffusion}\"", $"\"{kind}\"");
            }

            int version = r.Int("format_version", required: true)!.Value;
            if (version < 1 || version > ModelKinds.FormatVersion)
            {
                throw r.Error("format_version", $"1..{ModelKinds.FormatVersion}", version.ToString(CultureInfo.InvariantCulture));
            }

            string family = r.OneOf("family", true, "sd-turbo", "sd15-lcm")!;
            int hidden = r.Int("text_hidden_size") ?? (family == "sd-turbo" ? 1024 : 768);
            if (hidden is not (768 or 1024))
            {
                throw r.Error("text_hidden_size", "768 or 1024", hidden.ToString(CultureInfo.InvariantCulture));
            }

            var tokenizer = r.Object("tokenizer");
            var schedule = r.Object("noise_schedule");
            var models = r.Object("models");
            var manifest = new StreamDiffusionManifest
            {
                Name = r.String("name") ?? Path.GetFileName(Path.GetFullPath(folder)),
                Family = family,
                Variant = r.String("variant"),
                Resolution = r.Int("resolution") ?? 512,
                VaeScaleFactor = r.Int("vae_scale_factor") ?? 8,
                LatentChannels = r.Int("latent_channels") ?? 4,
                LatentScale = r.Number("latent_scale") ?? 1.0,
                ImageRange = r.OneOf("image_range", true, "[-1,1]", "[0,1]")!,
                TensorDtype = r.OneOf("tensor_dtype", true, "float32", "float16")!,
                TimestepDtype = r.OneOf("timestep_dtype", true, "int64", "float32", "float16")!,
                InputIdsDtype = r.OneOf("input_ids_dtype", false, "int64", "int32") ?? "int64",
                TextHiddenSize = hidden,
                MaxLength = r.Int("max_length") ?? ClipVocabularyIds.MaxLength,
                PredictionType = r.OneOf("prediction_type", false, "epsilon") ?? "epsilon",
                ScheduleType = schedule?.OneOf("type", false, "scaled_linear") ?? "scaled_linear",
                BetaStart = schedule?.Number("beta_start") ?? NoiseSchedule.DefaultBetaStart,
                BetaEnd = schedule?.Number("beta_end") ?? NoiseSchedule.DefaultBetaEnd,
                TrainSteps = schedule?.Int("train_steps") ?? NoiseSchedule.DefaultTrainSteps,
                BosTokenId = tokenizer?.Int("bos_token_id") ?? ClipVocabularyIds.StartOfText,
                EosTokenId = tokenizer?.Int("eos_token_id") ?? ClipVocabularyIds.EndOfText,
                PadTokenId = tokenizer?.Int("pad_token_id") ?? (family == "sd-turbo" ? 0 : ClipVocabularyIds.EndOfText),
                TextEncoder = models?.String("text_encoder") ?? TextEncoderPath,
                UNet = models?.String("unet") ?? UNetPath,
                VaeEncoder = models?.String("vae_encoder") ?? VaeEncoderPath,
                VaeDecoder = models?.String("vae_decoder") ?? VaeDecoderPath,
                Synthetic = r.Bool("synthetic") ?? false,
                Seed = r.Int("seed") is int s ? (ulong)s : null,
            };

            if (manifest.Resolution < 64 || manifest.Resolution % 64 != 0)
            {
                throw r.Error("resolution", "a multiple of 64, at least 64", manifest.Resolution.ToString(CultureInfo.InvariantCulture));
            }

            if (manifest.LatentChannels != 4)
            {
                throw r.Error("latent_channels", "4", manifest.LatentChannels.ToString(CultureInfo.InvariantCulture));
            }

            if (manifest.VaeScaleFactor != 8)
            {
                throw r.Error("vae_scale_factor", "8", manifest.VaeScaleFactor.ToString(CultureInfo.InvariantCulture));
            }

            if (!(manifest.LatentScale > 0))
            {
                throw r.Error("latent_scale", "a positive number", manifest.LatentScale.ToString(CultureInfo.InvariantCulture));
            }

            return manifest;
        }
    }

    /// <summary>The four ONNX files, as (component, path relative to the folder).</summary>
    public IReadOnlyList<(string Component, string RelativePath)> ModelFiles =>
    [
        ("text_encoder", TextEncoder),
        ("unet", UNet),
        ("vae_encoder", VaeEncoder),
        ("vae_decoder", VaeDecoder),
    ];

    /// <summary>Reads typed fields of one JSON object; errors name the manifest file and the field path.</summary>
    private sealed class FieldReader(string path, JsonElement element, string prefix = "")
    {
        public ModelFileException Error(string field, string expected, string found) =>
            new(path, $"field \"{prefix}{field}\": expected {expected}, found {found}");

        public FieldReader? Object(string field)
        {
            JsonElement? e = Get(field, false);
            if (e is null)
            {
                return null;
            }

            return e.Value.ValueKind == JsonValueKind.Object
                ? new FieldReader(path, e.Value, prefix + field + ".")
                : throw Error(field, "an object", e.Value.ValueKind.ToString().ToLowerInvariant());
        }

        public string? String(string field, bool required = false)
        {
            JsonElement? e = Get(field, required);
            if (e is null)
            {
                return null;
            }

            return e.Value.ValueKind == JsonValueKind.String
                ? e.Value.GetString()
                : throw Error(field, "a string", e.Value.GetRawText());
        }

        public string? OneOf(string field, bool required, params string[] allowed)
        {
            string? value = String(field, required);
            if (value is not null && Array.IndexOf(allowed, value) < 0)
            {
                throw Error(field, string.Join(" or ", allowed.Select(a => $"\"{a}\"")), $"\"{value}\"");
            }

            return value;
        }

        public int? Int(string field, bool required = false)
        {
            JsonElement? e = Get(field, required);
            if (e is null)
            {
                return null;
            }

            return e.Value.ValueKind == JsonValueKind.Number && e.Value.TryGetInt32(out int v)
                ? v
                : throw Error(field, "an integer", e.Value.GetRawText());
        }

        public double? Number(string field)
        {
            JsonElement? e = Get(field, false);
            if (e is null)
            {
                return null;
            }

            return e.Value.ValueKind == JsonValueKind.Number
                ? e.Value.GetDouble()
                : throw Error(field, "a number", e.Value.GetRawText());
        }

        public bool? Bool(string field)
        {
            JsonElement? e = Get(field, false);
            if (e is null)
            {
                return null;
            }

            return e.Value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Error(field, "true or false", e.Value.GetRawText()),
            };
        }

        private JsonElement? Get(string field, bool required)
        {
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new ModelFileException(path, $"expected a JSON object{(prefix.Length > 0 ? " at \"" + prefix.TrimEnd('.') + "\"" : string.Empty)}");
            }

            if (element.TryGetProperty(field, out JsonElement value) && value.ValueKind != JsonValueKind.Null)
            {
                return value;
            }

            return required ? throw new ModelFileException(path, $"field \"{prefix}{field}\" is required") : null;
        }
    }
}
