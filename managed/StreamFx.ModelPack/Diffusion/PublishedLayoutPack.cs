using System.Text.Encodings.Web;
using System.Text.Json;
using StreamFx.ModelPack.Tokenizer;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Diffusion;

/// <summary>The published folder layouts the generator can imitate (docs/models.md "Published layouts").</summary>
public enum PackLayout
{
    /// <summary>Our own pack: manifest.json plus the four models and tokenizer/.</summary>
    Manifest,

    /// <summary>onnxruntime/sd-turbo (Olive, CUDA): float16 I/O and timestep, int32 ids, full SD VAE sampling inside its encoder.</summary>
    OnnxRuntimeSdTurbo,

    /// <summary>TensorStack/SD-Turbo-onnx (OnnxStack/Amuse): float32 I/O over float16 weights, float32 timestep, int32 ids, full SD VAE.</summary>
    TensorStack,

    /// <summary>deinferno/taesd-onnx: vae_encoder/ and vae_decoder/ only (AutoencoderTiny names), float32, scale 1.0, no config.</summary>
    Taesd,

    /// <summary>An LCM-distilled SD 1.5 UNet in ONNX (e.g. TheyCallMeHex/LCM-Dreamshaper-V7-ONNX): timestep_cond [B,256], weights in model.onnx_data.</summary>
    LcmOnnx,
}

/// <summary>
/// Writes a synthetic pack with exactly a published layout: folder and file names, model_index.json and the
/// configs, tensor names and element types, external data, timestep_cond. No manifest.json: the host must read
/// it as a streamer's download. Float16 layouts compute in float32 behind Casts so the CPU provider runs them
/// (unless <see cref="PackOptions.CudaOnly"/>).
/// </summary>
public static class PublishedLayoutPack
{
    public const string ModelIndexFile = "model_index.json";

    /// <summary>optimum's external-data file name for models over 2 GB (LCM-Dreamshaper-V7-ONNX's unet/ has it).</summary>
    public const string OptimumExternalData = "model.onnx_data";

    private static readonly JsonWriterOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };

    public static string Name(PackLayout layout) => layout switch
    {
        PackLayout.Manifest => "manifest",
        PackLayout.OnnxRuntimeSdTurbo => "onnxruntime-sd-turbo",
        PackLayout.TensorStack => "tensorstack",
        PackLayout.Taesd => "taesd",
        PackLayout.LcmOnnx => "lcm-onnx",
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, null),
    };

    public static PackLayout Parse(string name)
    {
        foreach (PackLayout layout in Enum.GetValues<PackLayout>())
        {
            if (Name(layout) == name)
            {
                return layout;
            }
        }

        throw new ArgumentException($"--layout: expected manifest, onnxruntime-sd-turbo, tensorstack, taesd or lcm-onnx, found '{name}'");
    }

    /// <summary>The layout's fixed facts over <paramref name="baseline"/> (resolution, seed and variant stay the caller's).</summary>
    public static PackOptions OptionsFor(PackLayout layout, PackOptions baseline) => layout switch
    {
        PackLayout.Manifest => baseline,
        PackLayout.OnnxRuntimeSdTurbo => baseline with
        {
            Family = ModelFamily.SdTurbo, TensorType = OnnxElementType.Float16, WeightType = null, TimestepType = OnnxElementType.Float16,
            InputIdsType = OnnxElementType.Int32, ImageRangeSigned = true, LatentScale = 0.18215f, SamplingEncoder = true, TimestepCondWidth = 0,
        },
        PackLayout.TensorStack => baseline with
        {
            Family = ModelFamily.SdTurbo, TensorType = OnnxElementType.Float, WeightType = OnnxElementType.Float16, TimestepType = OnnxElementType.Float,
            InputIdsType = OnnxElementType.Int32, ImageRangeSigned = true, LatentScale = 0.18215f, SamplingEncoder = true, TimestepCondWidth = 0,
        },
        PackLayout.Taesd => baseline with
        {
            TensorType = OnnxElementType.Float, WeightType = null, ImageRangeSigned = true, LatentScale = 1f, SamplingEncoder = false,
        },
        PackLayout.LcmOnnx => baseline with
        {
            Family = ModelFamily.Sd15Lcm, TensorType = OnnxElementType.Float, WeightType = null, TimestepType = OnnxElementType.Int64,
            InputIdsType = OnnxElementType.Int32, ImageRangeSigned = true, LatentScale = 0.18215f, SamplingEncoder = true, TimestepCondWidth = 256,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, null),
    };

    /// <summary>Writes <paramref name="layout"/> into <paramref name="folder"/>; returns the options used.</summary>
    public static PackOptions Write(string folder, PackLayout layout, PackOptions baseline, TextWriter? progress = null)
    {
        if (layout == PackLayout.Manifest)
        {
            StreamDiffusionPack.Write(folder, baseline, progress);
            return baseline;
        }

        PackOptions options = OptionsFor(layout, baseline);
        if (options.CudaOnly && options.TensorType != OnnxElementType.Float16)
        {
            throw new ArgumentException("cuda-only: only a float16 layout (onnxruntime-sd-turbo) stands for a CUDA export");
        }

        options.Validate();
        Directory.CreateDirectory(folder);
        void Model(string relative, OnnxModel model, string? externalData = null)
        {
            string path = Path.Combine(folder, relative);
            if (externalData is null)
            {
                OnnxModelWriter.WriteFile(model, path);
            }
            else
            {
                OnnxModelWriter.WriteFileWithExternalData(model, path, externalData);
            }

            progress?.WriteLine($"  {relative}{(externalData is null ? string.Empty : " + " + externalData)}");
        }

        Model("vae_encoder/model.onnx", TinyAutoencoderModels.BuildEncoder(options));
        Model("vae_decoder/model.onnx", TinyAutoencoderModels.BuildDecoder(options));
        if (layout == PackLayout.Taesd)
        {
            // deinferno/taesd-onnx ships no config.json: the loader takes scale 1.0 for such a vae_dir.
            return options;
        }

        Model("text_encoder/model.onnx", TextEncoderModel.Build(options));
        Model("unet/model.onnx", UNetModel.Build(options), layout == PackLayout.LcmOnnx ? OptimumExternalData : null);
        TokenizerFiles.Write(Path.Combine(folder, "tokenizer"), options);
        WriteJson(Path.Combine(folder, "scheduler", "scheduler_config.json"), w =>
        {
            w.WriteString("_class_name", layout == PackLayout.LcmOnnx ? "LCMScheduler" : "EulerDiscreteScheduler");
            w.WriteNumber("beta_end", NoiseSchedule.DefaultBetaEnd);
            w.WriteString("beta_schedule", "scaled_linear");
            w.WriteNumber("beta_start", NoiseSchedule.DefaultBetaStart);
            w.WriteNumber("num_train_timesteps", NoiseSchedule.DefaultTrainSteps);
            w.WriteString("prediction_type", "epsilon");
            w.WriteString("timestep_spacing", layout == PackLayout.LcmOnnx ? "leading" : "trailing");
        });
        if (layout == PackLayout.LcmOnnx)
        {
            // optimum saves each component's config beside its model.
            WriteJson(Path.Combine(folder, "vae_decoder", "config.json"), w =>
            {
                w.WriteString("_class_name", "AutoencoderKL");
                w.WriteNumber("latent_channels", TinyAutoencoderModels.LatentChannels);
                w.WriteNumber("scaling_factor", 0.18215);
            });
            WriteJson(Path.Combine(folder, "unet", "config.json"), w =>
            {
                w.WriteString("_class_name", "UNet2DConditionModel");
                w.WriteNumber("cross_attention_dim", options.TextHiddenSize);
                w.WriteNumber("sample_size", options.Resolution / TinyAutoencoderModels.ScaleFactor);
                w.WriteNumber("time_cond_proj_dim", options.TimestepCondWidth);
            });
        }

        WriteJson(Path.Combine(folder, ModelIndexFile), w =>
        {
            w.WriteString("_class_name", layout == PackLayout.LcmOnnx ? "ORTLatentConsistencyModelPipeline" : "OnnxStableDiffusionPipeline");
            w.WriteString("_diffusers_version", "0.24.0");
            Component(w, "feature_extractor", null, null);
            w.WriteBoolean("requires_safety_checker", false);
            Component(w, "safety_checker", null, null);
            Component(w, "scheduler", "diffusers", layout == PackLayout.LcmOnnx ? "LCMScheduler" : "EulerDiscreteScheduler");
            Component(w, "text_encoder", "diffusers", "OnnxRuntimeModel");
            Component(w, "tokenizer", "transformers", "CLIPTokenizer");
            Component(w, "unet", "diffusers", "OnnxRuntimeModel");
            Component(w, "vae_decoder", "diffusers", "OnnxRuntimeModel");
            Component(w, "vae_encoder", "diffusers", "OnnxRuntimeModel");
        });
        return options;
    }

    internal static void Component(Utf8JsonWriter w, string name, string? library, string? type)
    {
        w.WriteStartArray(name);
        if (library is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStringValue(library);
        }

        if (type is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStringValue(type);
        }

        w.WriteEndArray();
    }

    internal static void WriteJson(string path, Action<Utf8JsonWriter> properties)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Indented))
        {
            w.WriteStartObject();
            properties(w);
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        File.WriteAllBytes(path, buffer.ToArray());
    }
}
