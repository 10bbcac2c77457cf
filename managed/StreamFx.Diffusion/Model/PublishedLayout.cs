using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime.Tensors;
using StreamFx.Diffusion.Text;

namespace StreamFx.Diffusion.Model;

/// <summary>
/// The manifest-free extension of <see cref="ModelFolder"/>: reads a published diffusers ONNX folder as it is (no manifest.json): model_index.json, the scheduler and
/// VAE configs, tokenizer/tokenizer_config.json and each ONNX file's declared inputs and outputs, and derives
/// what the pipeline needs (family, element types, latent scale, pad id, timestep_cond). Layouts and their
/// sources: docs/models.md "Published layouts". Every error names the file and what was expected.
/// </summary>
public static class PublishedLayout
{
    public const string ModelIndexFile = "model_index.json";
    public const string LayoutName = "diffusers-onnx";
    /// <summary>SD 1.x/2.x VAE (AutoencoderKL) latent scale, used when no VAE config.json says otherwise.</summary>
    public const float SdVaeScale = 0.18215f;
    public const string LatentParameters = "latent_parameters";
    public const string TimestepCond = "timestep_cond";

    private static readonly TensorElementType[] Floats = [TensorElementType.Float, TensorElementType.Float16];

    public static DiffusionManifest Read(string folder)
    {
        string index = Path.Combine(folder, ModelIndexFile);
        if (!File.Exists(index))
            throw new ModelFolderException(index, "file", $"present (a published diffusers ONNX folder) or {ModelFolder.ManifestFile} (a StreamFx pack)", "neither in the folder");
        var facts = new List<string>();
        {
            JsonElement root = ModelFolder.ReadJson(index);
            if (root.ValueKind != JsonValueKind.Object)
                throw new ModelFolderException(index, "root", "a JSON object", root.ValueKind.ToString());
            string cls = root.TryGetProperty("_class_name", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "no _class_name";
            // A component the index names as null (e.g. ["null", null]) is not shipped; the four we run must be.
            foreach (string component in new[] { "text_encoder", "unet", "vae_decoder" })
                if (root.TryGetProperty(component, out var entry) && IsNullComponent(entry))
                    throw new ModelFolderException(index, $"component \"{component}\"", "a model (this pipeline runs it)", entry.GetRawText());
            facts.Add($"layout: diffusers ONNX ({ModelIndexFile}: {cls})");
        }

        // Text encoder: input_ids int32 or int64 [B,77] -> last_hidden_state [B,77,H].
        string textPath = Path.Combine(folder, "text_encoder", "model.onnx");
        var text = OnnxSignature.Read(textPath);
        var ids = Expect(text, textPath, "input", DiffusionContracts.InputIds, 2, TensorElementType.Int32, TensorElementType.Int64);
        var hiddenOut = Expect(text, textPath, "output", DiffusionContracts.LastHiddenState, 3, Floats);
        int hidden = (int)hiddenOut.Dims[2];
        string hiddenSource = "last_hidden_state";
        if (hidden <= 0 && ConfigInt(Path.Combine(folder, "text_encoder", "config.json"), "hidden_size") is int configured)
        {
            hidden = configured;
            hiddenSource = "text_encoder/config.json hidden_size";
        }
        if (hidden is not (768 or 1024))
            throw new ModelFolderException(textPath, "output \"last_hidden_state\" width", "768 (SD 1.x) or 1024 (SD 2.x / SD-Turbo), fixed or in text_encoder/config.json hidden_size", hidden <= 0 ? "a symbolic dim and no config" : hidden.ToString());
        facts.Add($"text_encoder: input_ids {OnnxSignature.TypeName(ids.ElementType)}, {OnnxSignature.TypeName(hiddenOut.ElementType)}, hidden {hidden} (from {hiddenSource})");

        // UNet: sample, timestep [B], encoder_hidden_states (+ timestep_cond for LCM-distilled UNets) -> out_sample.
        string unetPath = Path.Combine(folder, "unet", "model.onnx");
        var unet = OnnxSignature.Read(unetPath);
        var sample = Expect(unet, unetPath, "input", DiffusionContracts.Sample, 4, Floats);
        var timestep = Expect(unet, unetPath, "input", DiffusionContracts.Timestep, 1, TensorElementType.Int64, TensorElementType.Float, TensorElementType.Float16);
        var states = Expect(unet, unetPath, "input", DiffusionContracts.EncoderHiddenStates, 3, Floats);
        if (states.ElementType != sample.ElementType)
            throw new ModelFolderException(unetPath, "input \"encoder_hidden_states\" element type", $"{OnnxSignature.TypeName(sample.ElementType)} (as \"sample\")", OnnxSignature.TypeName(states.ElementType));
        if (states.Dims[2] > 0 && states.Dims[2] != hidden)
            throw new ModelFolderException(unetPath, "input \"encoder_hidden_states\" width", $"{hidden} (the text encoder's)", states.Dims[2].ToString());
        Expect(unet, unetPath, "output", DiffusionContracts.OutSample, 4, sample.ElementType);
        int condWidth = 0;
        if (unet.Input(TimestepCond) is { } cond)
        {
            Expect(unet, unetPath, "input", TimestepCond, 2, sample.ElementType);
            condWidth = cond.Dims[1] > 0 ? (int)cond.Dims[1] : ConfigInt(Path.Combine(folder, "unet", "config.json"), "time_cond_proj_dim") ?? 256;
        }
        foreach (var input in unet.Inputs)
            if (input.Name is not (DiffusionContracts.Sample or DiffusionContracts.Timestep or DiffusionContracts.EncoderHiddenStates or TimestepCond))
                throw new ModelFolderException(unetPath, $"input \"{input.Name}\"", "only sample, timestep, encoder_hidden_states and timestep_cond (SD 1.x/2.x; SDXL's text_embeds/time_ids are not supported)", $"extra input \"{input.Name}\"");
        facts.Add($"unet: {OnnxSignature.TypeName(sample.ElementType)}, timestep {OnnxSignature.TypeName(timestep.ElementType)}, timestep_cond {(condWidth > 0 ? condWidth.ToString(CultureInfo.InvariantCulture) : "no")}" +
            (unet.UsesExternalData ? ", external weights" : ""));

        int resolution = 512;
        string resolutionSource = "default";
        if (sample.Dims[2] > 0 && sample.Dims[2] == sample.Dims[3]) { resolution = (int)sample.Dims[2] * 8; resolutionSource = "unet sample dims"; }
        else if (ConfigInt(Path.Combine(folder, "unet", "config.json"), "sample_size") is int size and > 0) { resolution = size * 8; resolutionSource = "unet/config.json sample_size"; }
        if (resolution < 64 || resolution > 2048 || resolution % 8 != 0)
            throw new ModelFolderException(unetPath, "latent size", "8..256 (images of 64..2048)", (resolution / 8).ToString());

        var (betaStart, betaEnd, trainSteps, schedulerFact) = ReadScheduler(Path.Combine(folder, "scheduler", "scheduler_config.json"));
        facts.Add(schedulerFact);

        string tokenizerFolder = Path.Combine(folder, "tokenizer");
        ClipTokenizer tokenizer;
        try { tokenizer = ClipTokenizer.Load(tokenizerFolder); }
        catch (TokenizerFormatException e) { throw new ModelFolderException(e.File, e.Field, e.Expected, e.Found, e); }
        facts.Add($"tokenizer: pad {tokenizer.PadId}, bos {tokenizer.BosId}, eos {tokenizer.EosId} (tokenizer_config.json)");

        var vae = ReadVae(folder, main: true);
        facts.Add(vae.Fact);
        string family = hidden == 1024 ? "sd-turbo" : "sd15-lcm";
        facts.Insert(1, $"family: {(hidden == 1024 ? "SD 2.x (sd-turbo)" : "SD 1.x (sd15-lcm)")}, resolution {resolution} ({resolutionSource})");

        return new DiffusionManifest
        {
            Folder = folder,
            Name = Path.GetFileName(folder),
            Family = family,
            Resolution = resolution,
            VaeScaleFactor = 8,
            LatentChannels = 4,
            LatentScale = vae.Scale,
            ImageRange = ImageRange.MinusOneToOne,
            TensorDtype = sample.ElementType == TensorElementType.Float16 ? TensorDtype.Float16 : TensorDtype.Float32,
            TimestepDtype = timestep.ElementType switch
            {
                TensorElementType.Float => TimestepDtype.Float32,
                TensorElementType.Float16 => TimestepDtype.Float16,
                _ => TimestepDtype.Int64,
            },
            InputIdsDtype = ids.ElementType == TensorElementType.Int32 ? InputIdsDtype.Int32 : InputIdsDtype.Int64,
            TextHiddenSize = hidden,
            MaxLength = 77,
            BetaStart = betaStart,
            BetaEnd = betaEnd,
            TrainSteps = trainSteps,
            BosTokenId = tokenizer.BosId,
            EosTokenId = tokenizer.EosId,
            PadTokenId = tokenizer.PadId,
            TextEncoderPath = textPath,
            UnetPath = unetPath,
            VaeEncoderPath = vae.EncoderPath,
            VaeDecoderPath = vae.DecoderPath,
            InputIdsType = ids.ElementType,
            TextHiddenType = hiddenOut.ElementType,
            UnetFloatType = sample.ElementType,
            UnetTimestepType = timestep.ElementType,
            VaeEncoderType = vae.EncoderType,
            VaeDecoderType = vae.DecoderType,
            VaeEncoderOutput = vae.EncoderOutput,
            TimestepCondWidth = condWidth,
            VaeFolder = folder,
            Layout = LayoutName,
            Facts = facts,
        };
    }

    /// <summary>The same model with its autoencoder taken from <paramref name="vaeFolder"/> (vae_dir), e.g. a TAESD export.</summary>
    public static DiffusionManifest WithVae(DiffusionManifest m, string vaeFolder)
    {
        string folder = Path.GetFullPath(vaeFolder);
        if (!Directory.Exists(folder)) throw new ModelFolderException(folder, "vae_dir folder", "an existing folder with vae_encoder/ and vae_decoder/", "nothing at that path");
        var vae = ReadVae(folder, main: false);
        var facts = m.Facts.Where(f => !f.StartsWith("vae:", StringComparison.Ordinal)).Append(vae.Fact).ToList();
        return m with
        {
            VaeEncoderPath = vae.EncoderPath,
            VaeDecoderPath = vae.DecoderPath,
            VaeEncoderType = vae.EncoderType,
            VaeDecoderType = vae.DecoderType,
            VaeEncoderOutput = vae.EncoderOutput,
            LatentScale = vae.Scale,
            ImageRange = ImageRange.MinusOneToOne,
            VaeFolder = folder,
            VaeDirSetting = vaeFolder,
            Facts = facts,
        };
    }

    private sealed record VaeFacts(string EncoderPath, string DecoderPath, TensorElementType EncoderType, TensorElementType DecoderType, string EncoderOutput, float Scale, string Fact);

    /// <summary>
    /// vae_encoder/ and vae_decoder/ of a folder. Scale: a VAE config.json's scaling_factor; otherwise 0.18215 for
    /// the model's own (full SD) VAE, and 1.0 for a separate folder without config (deinferno/taesd-onnx ships none).
    /// </summary>
    private static VaeFacts ReadVae(string folder, bool main)
    {
        string encPath = Path.Combine(folder, "vae_encoder", "model.onnx");
        string decPath = Path.Combine(folder, "vae_decoder", "model.onnx");
        var enc = OnnxSignature.Read(encPath);
        var dec = OnnxSignature.Read(decPath);
        var encIn = Expect(enc, encPath, "input", DiffusionContracts.Sample, 4, Floats);
        OnnxTensorInfo encOut;
        if (enc.Output(DiffusionContracts.LatentSample) is not null) encOut = Expect(enc, encPath, "output", DiffusionContracts.LatentSample, 4, encIn.ElementType);
        else if (enc.Output(LatentParameters) is not null) encOut = Expect(enc, encPath, "output", LatentParameters, 4, encIn.ElementType);
        else throw new ModelFolderException(encPath, "output \"latent_sample\"", "present (or latent_parameters)", $"outputs [{string.Join(", ", enc.Outputs.Select(o => o.Name))}]");
        var decIn = Expect(dec, decPath, "input", DiffusionContracts.LatentSample, 4, Floats);
        Expect(dec, decPath, "output", DiffusionContracts.Sample, 4, decIn.ElementType);

        float scale = main ? SdVaeScale : 1f;
        string source = main ? "SD VAE default" : "no config.json: TAESD";
        string? kind = null;
        foreach (string config in new[] { Path.Combine(folder, "vae_decoder", "config.json"), Path.Combine(folder, "vae_encoder", "config.json"), Path.Combine(folder, "config.json") })
        {
            if (!File.Exists(config)) continue;
            var root = ModelFolder.ReadJson(config);
            if (root.ValueKind != JsonValueKind.Object) throw new ModelFolderException(config, "root", "a JSON object", root.ValueKind.ToString());
            if (root.TryGetProperty("_class_name", out var cls) && cls.ValueKind == JsonValueKind.String) kind = cls.GetString();
            if (!root.TryGetProperty("scaling_factor", out var sf)) continue;
            if (sf.ValueKind != JsonValueKind.Number || !(sf.GetDouble() > 0))
                throw new ModelFolderException(config, "field \"scaling_factor\"", "a positive number", sf.GetRawText());
            scale = (float)sf.GetDouble();
            source = Path.GetRelativePath(folder, config).Replace('\\', '/') + " scaling_factor";
            break;
        }
        string samples = encOut.Name == LatentParameters ? "mean of latent_parameters" : "latent_sample";
        string fact = $"vae: {(main ? "model's own" : folder)}{(kind is null ? "" : $" ({kind})")}, encoder {OnnxSignature.TypeName(encIn.ElementType)} -> {samples}, decoder {OnnxSignature.TypeName(decIn.ElementType)}, scale {scale.ToString("0.#####", CultureInfo.InvariantCulture)} ({source})";
        return new VaeFacts(encPath, decPath, encIn.ElementType, decIn.ElementType, encOut.Name, scale, fact);
    }

    private static (double BetaStart, double BetaEnd, int TrainSteps, string Fact) ReadScheduler(string path)
    {
        double betaStart = 0.00085, betaEnd = 0.012;
        int steps = 1000;
        if (!File.Exists(path)) return (betaStart, betaEnd, steps, "scheduler: scaled_linear 0.00085..0.012, 1000 steps (defaults: no scheduler/scheduler_config.json)");
        var root = ModelFolder.ReadJson(path);
        if (root.ValueKind != JsonValueKind.Object) throw new ModelFolderException(path, "root", "a JSON object", root.ValueKind.ToString());
        string cls = root.TryGetProperty("_class_name", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "?";
        if (root.TryGetProperty("beta_schedule", out var schedule) && !(schedule.ValueKind == JsonValueKind.String && schedule.GetString() == "scaled_linear"))
            throw new ModelFolderException(path, "field \"beta_schedule\"", "\"scaled_linear\"", schedule.GetRawText());
        if (root.TryGetProperty("prediction_type", out var prediction) && !(prediction.ValueKind == JsonValueKind.String && prediction.GetString() == "epsilon"))
            throw new ModelFolderException(path, "field \"prediction_type\"", "\"epsilon\"", prediction.GetRawText());
        betaStart = Number(path, root, "beta_start", betaStart);
        betaEnd = Number(path, root, "beta_end", betaEnd);
        double trainSteps = Number(path, root, "num_train_timesteps", steps);
        if (trainSteps != 1000) throw new ModelFolderException(path, "field \"num_train_timesteps\"", "1000", trainSteps.ToString(CultureInfo.InvariantCulture));
        if (!(betaStart > 0 && betaEnd > betaStart && betaEnd < 1))
            throw new ModelFolderException(path, "fields \"beta_start\", \"beta_end\"", "0 < beta_start < beta_end < 1", $"{betaStart}, {betaEnd}");
        return (betaStart, betaEnd, steps, $"scheduler: {cls} config, scaled_linear {betaStart.ToString(CultureInfo.InvariantCulture)}..{betaEnd.ToString(CultureInfo.InvariantCulture)}, 1000 steps (LCM steps at its timesteps)");
    }

    private static double Number(string path, JsonElement root, string name, double fallback)
    {
        if (!root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new ModelFolderException(path, $"field \"{name}\"", "a number", v.GetRawText());
    }

    private static int? ConfigInt(string path, string name)
    {
        if (!File.Exists(path)) return null;
        var root = ModelFolder.ReadJson(path);
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var v)) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw new ModelFolderException(path, $"field \"{name}\"", "an integer", v.GetRawText());
    }

    private static bool IsNullComponent(JsonElement entry) =>
        entry.ValueKind == JsonValueKind.Null
        || (entry.ValueKind == JsonValueKind.Array && entry.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Null || (e.ValueKind == JsonValueKind.String && e.GetString() == "null")));

    /// <summary>The named input or output, with one of the allowed element types and the given rank; otherwise one error naming it.</summary>
    private static OnnxTensorInfo Expect(OnnxSignature s, string file, string direction, string name, int rank, params TensorElementType[] types)
    {
        var declared = direction == "input" ? s.Inputs : s.Outputs;
        var t = declared.FirstOrDefault(d => d.Name == name)
            ?? throw new ModelFolderException(file, $"{direction} \"{name}\"", "present", $"{direction}s [{string.Join(", ", declared.Select(d => d.Name))}]");
        if (!types.Contains(t.ElementType))
            throw new ModelFolderException(file, $"{direction} \"{name}\" element type", string.Join(" or ", types.Select(OnnxSignature.TypeName)), OnnxSignature.TypeName(t.ElementType));
        if (t.Rank != rank)
            throw new ModelFolderException(file, $"{direction} \"{name}\" rank", rank.ToString(CultureInfo.InvariantCulture), $"{t.Rank} ({t})");
        return t;
    }
}
