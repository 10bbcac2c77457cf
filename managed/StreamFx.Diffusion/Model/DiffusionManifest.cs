using Microsoft.ML.OnnxRuntime.Tensors;

namespace StreamFx.Diffusion.Model;

public enum ImageRange { MinusOneToOne, ZeroToOne }
public enum TensorDtype { Float32, Float16 }
public enum TimestepDtype { Int64, Float32, Float16 }
public enum InputIdsDtype { Int64, Int32 }

/// <summary>
/// What the pipeline needs to know about a "stream-diffusion" model folder: from its manifest.json (our own
/// packs) or, without one, derived from a published diffusers ONNX layout (<see cref="PublishedLayout"/>).
/// </summary>
public sealed record DiffusionManifest
{
    public const string FileName = ModelFolder.ManifestFile;
    public const string Kind = ModelFolder.StreamDiffusionKind;
    public const int FormatVersion = 1;

    public required string Folder { get; init; }
    public required string Name { get; init; }
    public required string Family { get; init; }
    public required int Resolution { get; init; }
    public required int VaeScaleFactor { get; init; }
    public required int LatentChannels { get; init; }
    public required float LatentScale { get; init; }
    public required ImageRange ImageRange { get; init; }
    public required TensorDtype TensorDtype { get; init; }
    public required TimestepDtype TimestepDtype { get; init; }
    public required InputIdsDtype InputIdsDtype { get; init; }
    public required int TextHiddenSize { get; init; }
    public required int MaxLength { get; init; }
    public required double BetaStart { get; init; }
    public required double BetaEnd { get; init; }
    public required int TrainSteps { get; init; }
    public required int BosTokenId { get; init; }
    public required int EosTokenId { get; init; }
    public required int PadTokenId { get; init; }
    public required string TextEncoderPath { get; init; }
    public required string UnetPath { get; init; }
    public required string VaeEncoderPath { get; init; }
    public required string VaeDecoderPath { get; init; }
    public bool Synthetic { get; init; }

    // Element types per model. manifest.json sets them from tensor_dtype/timestep_dtype/input_ids_dtype; a
    // published folder has them read from each ONNX file (a TAESD from vae_dir may differ from the UNet).
    public required TensorElementType InputIdsType { get; init; }
    public required TensorElementType TextHiddenType { get; init; }
    public required TensorElementType UnetFloatType { get; init; }
    public required TensorElementType UnetTimestepType { get; init; }
    public required TensorElementType VaeEncoderType { get; init; }
    public required TensorElementType VaeDecoderType { get; init; }
    /// <summary>Width of the UNet's timestep_cond input (LCM guidance embedding); 0 when it declares none.</summary>
    public int TimestepCondWidth { get; init; }
    /// <summary>The VAE encoder output the pipeline reads: latent_sample, or latent_parameters (mean and log-variance; the mean is used).</summary>
    public string VaeEncoderOutput { get; init; } = DiffusionContracts.LatentSample;
    /// <summary>Folder the autoencoder came from (the model folder unless vae_dir named another).</summary>
    public string VaeFolder { get; init; } = "";
    /// <summary>The vae_dir this was loaded with, as given (null: the model's own autoencoder).</summary>
    public string? VaeDirSetting { get; init; }
    /// <summary>"manifest.json" or "diffusers-onnx".</summary>
    public string Layout { get; init; } = FileName;
    /// <summary>Derived facts, one line each ("unet: float16, timestep float16, timestep_cond no"), for STATUS and the log.</summary>
    public IReadOnlyList<string> Facts { get; init; } = [];

    public string TokenizerFolder => Path.Combine(Folder, "tokenizer");

    /// <summary>True when the folder's manifest.json says kind "stream-diffusion" (no other checks; use <see cref="Load"/> for those).</summary>
    public static bool Describes(string folder)
    {
        try
        {
            var opened = ModelFolder.Open(folder);
            return opened.Manifest is not null && opened.Kind == Kind;
        }
        catch (Exception e) when (e is ModelFolderException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Loads a model folder: its manifest.json when there is one, otherwise the published diffusers ONNX layout
    /// (model_index.json and the component folders). <paramref name="vaeFolder"/> (vae_dir) takes the
    /// autoencoder from another folder, e.g. a TAESD export.
    /// </summary>
    public static DiffusionManifest Load(string folder, string? vaeFolder = null)
    {
        var opened = ModelFolder.Open(folder);
        var m = opened.Manifest is { } fields ? FromManifest(opened.Folder, fields, opened.Kind) : PublishedLayout.Read(opened.Folder);
        return string.IsNullOrWhiteSpace(vaeFolder) ? m : PublishedLayout.WithVae(m, vaeFolder);
    }

    private static DiffusionManifest FromManifest(string folder, ManifestFields r, string kind)
    {
        string path = r.File;
        if (kind != Kind) throw new ModelFolderException(path, "field \"kind\"", $"\"{Kind}\"", $"\"{kind}\"");
        int version = r.Int("format_version");
        if (version < 1 || version > FormatVersion) throw new ModelFolderException(path, "field \"format_version\"", $"1..{FormatVersion}", version.ToString());
        string family = r.OneOf("family", "sd-turbo", "sd15-lcm");
        int hiddenDefault = family == "sd-turbo" ? 1024 : 768;
        int padDefault = family == "sd-turbo" ? 0 : 49407;
        int resolution = r.Int("resolution");
        int vaeFactor = r.Int("vae_scale_factor", 8);
        if (vaeFactor != 8) throw new ModelFolderException(path, "field \"vae_scale_factor\"", "8", vaeFactor.ToString());
        if (resolution < 64 || resolution % 8 != 0 || resolution > 2048)
            throw new ModelFolderException(path, "field \"resolution\"", "a multiple of 8 in 64..2048", resolution.ToString());
        int channels = r.Int("latent_channels", 4);
        if (channels != 4) throw new ModelFolderException(path, "field \"latent_channels\"", "4", channels.ToString());
        double latentScale = r.Number("latent_scale", 1.0);
        if (!(latentScale > 0)) throw new ModelFolderException(path, "field \"latent_scale\"", "a positive number", latentScale.ToString());
        var range = r.OneOf("image_range", "[-1,1]", "[0,1]") == "[0,1]" ? ImageRange.ZeroToOne : ImageRange.MinusOneToOne;
        var tensor = r.OneOf("tensor_dtype", "float32", "float16") == "float16" ? TensorDtype.Float16 : TensorDtype.Float32;
        var timestep = r.OneOf("timestep_dtype", "int64", "float32", "float16") switch
        {
            "float32" => TimestepDtype.Float32,
            "float16" => TimestepDtype.Float16,
            _ => TimestepDtype.Int64,
        };
        var ids = r.OptionalOneOf("input_ids_dtype", "int64", "int32") == "int32" ? InputIdsDtype.Int32 : InputIdsDtype.Int64;
        int hidden = r.Int("text_hidden_size", hiddenDefault);
        if (hidden != 768 && hidden != 1024) throw new ModelFolderException(path, "field \"text_hidden_size\"", "768 or 1024", hidden.ToString());
        int maxLength = r.Int("max_length", 77);
        if (maxLength != 77) throw new ModelFolderException(path, "field \"max_length\"", "77", maxLength.ToString());
        string prediction = r.OptionalOneOf("prediction_type", "epsilon") ?? "epsilon";
        _ = prediction;

        double betaStart = 0.00085, betaEnd = 0.012; int trainSteps = 1000;
        if (r.Object("noise_schedule") is { } nr)
        {
            nr.OneOf("type", "scaled_linear");
            betaStart = nr.Number("beta_start", betaStart);
            betaEnd = nr.Number("beta_end", betaEnd);
            trainSteps = nr.Int("train_steps", trainSteps);
            if (trainSteps != 1000) throw new ModelFolderException(path, "field \"noise_schedule.train_steps\"", "1000", trainSteps.ToString());
            if (!(betaStart > 0 && betaEnd > betaStart && betaEnd < 1))
                throw new ModelFolderException(path, "field \"noise_schedule\"", "0 < beta_start < beta_end < 1", $"{betaStart}, {betaEnd}");
        }
        int bos = 49406, eos = 49407, pad = padDefault;
        if (r.Object("tokenizer") is { } tr)
        {
            bos = tr.Int("bos_token_id", bos);
            eos = tr.Int("eos_token_id", eos);
            pad = tr.Int("pad_token_id", pad);
        }
        string te = "text_encoder/model.onnx", un = "unet/model.onnx", ve = "vae_encoder/model.onnx", vd = "vae_decoder/model.onnx";
        if (r.Object("models") is { } mr)
        {
            te = mr.String("text_encoder", te);
            un = mr.String("unet", un);
            ve = mr.String("vae_encoder", ve);
            vd = mr.String("vae_decoder", vd);
        }
        var floatType = tensor == TensorDtype.Float16 ? TensorElementType.Float16 : TensorElementType.Float;
        var timestepType = timestep switch
        {
            TimestepDtype.Float32 => TensorElementType.Float,
            TimestepDtype.Float16 => TensorElementType.Float16,
            _ => TensorElementType.Int64,
        };
        var idsType = ids == InputIdsDtype.Int32 ? TensorElementType.Int32 : TensorElementType.Int64;
        int timestepCond = r.Int("timestep_cond_dim", 0);
        if (timestepCond < 0 || timestepCond > 4096) throw new ModelFolderException(path, "field \"timestep_cond_dim\"", "0 (none) or a width up to 4096", timestepCond.ToString());
        return new DiffusionManifest
        {
            InputIdsType = idsType,
            TextHiddenType = floatType,
            UnetFloatType = floatType,
            UnetTimestepType = timestepType,
            VaeEncoderType = floatType,
            VaeDecoderType = floatType,
            TimestepCondWidth = timestepCond,
            VaeFolder = folder,
            Layout = FileName,
            Facts = [$"layout: {FileName}", $"text_encoder: input_ids {OnnxSignature.TypeName(idsType)}, {OnnxSignature.TypeName(floatType)}, hidden {hidden}",
                $"unet: {OnnxSignature.TypeName(floatType)}, timestep {OnnxSignature.TypeName(timestepType)}, timestep_cond {(timestepCond > 0 ? timestepCond.ToString() : "no")}",
                $"vae: {OnnxSignature.TypeName(floatType)}, scale {latentScale:0.#####}, images {(range == ImageRange.ZeroToOne ? "[0,1]" : "[-1,1]")}"],
            Folder = folder,
            Name = r.String("name", Path.GetFileName(folder)),
            Family = family,
            Resolution = resolution,
            VaeScaleFactor = vaeFactor,
            LatentChannels = channels,
            LatentScale = (float)latentScale,
            ImageRange = range,
            TensorDtype = tensor,
            TimestepDtype = timestep,
            InputIdsDtype = ids,
            TextHiddenSize = hidden,
            MaxLength = maxLength,
            BetaStart = betaStart,
            BetaEnd = betaEnd,
            TrainSteps = trainSteps,
            BosTokenId = bos,
            EosTokenId = eos,
            PadTokenId = pad,
            TextEncoderPath = Resolve(folder, path, "models.text_encoder", te),
            UnetPath = Resolve(folder, path, "models.unet", un),
            VaeEncoderPath = Resolve(folder, path, "models.vae_encoder", ve),
            VaeDecoderPath = Resolve(folder, path, "models.vae_decoder", vd),
            Synthetic = r.Bool("synthetic", false),
        };
    }

    private static string Resolve(string folder, string manifest, string field, string relative)
    {
        if (Path.IsPathRooted(relative) || relative.Split('/', '\\').Contains(".."))
            throw new ModelFolderException(manifest, $"field \"{field}\"", "a path inside the folder", $"\"{relative}\"");
        return Path.GetFullPath(Path.Combine(folder, relative.Replace('/', Path.DirectorySeparatorChar)));
    }
}
