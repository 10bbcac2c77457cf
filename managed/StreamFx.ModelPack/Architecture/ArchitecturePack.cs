using System.Globalization;
using StreamFx.ModelPack.Diffusion;
using StreamFx.ModelPack.Tokenizer;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.Architecture;

/// <summary>Parameters of one written model: what the graph holds and what the published config implies.</summary>
public sealed record ComponentReport(string Component, long Parameters, long Expected, long Bytes, bool ExternalData);

/// <summary>
/// The architecture pack: SD-Turbo's UNet, OpenCLIP ViT-H text encoder and TAESD with their real graphs and
/// seeded random weights, in the onnxruntime/sd-turbo folder layout (model_index.json, no manifest.json) so the
/// host loads it as a download. The output is noise by construction: it exists to time the real shapes.
/// </summary>
public static class ArchitecturePack
{
    /// <summary>Models whose initializers pass this go to external data (protobuf's 2 GB limit, with room for the graph).</summary>
    public const long ExternalDataThreshold = 2_000_000_000;

    public const string ExternalDataFile = "model.onnx_data";

    /// <summary>Builds the four graphs (weights deferred) with their counts; nothing is written.</summary>
    public static IReadOnlyList<(string Relative, OnnxModel Model, long Parameters, long Expected)> Build(ArchitectureOptions o)
    {
        o.Validate();
        var text = OpenClipTextEncoder.Build(o, out long textParameters);
        var unet = SdTurboUNet.Build(o, out long unetParameters);
        var encoder = TaesdModel.BuildEncoder(o, out long encoderParameters);
        var decoder = TaesdModel.BuildDecoder(o, out long decoderParameters);
        return
        [
            ("text_encoder/model.onnx", text, textParameters, ParameterCount.TextEncoder(o)),
            ("unet/model.onnx", unet, unetParameters, ParameterCount.Unet(o)),
            ("vae_encoder/model.onnx", encoder, encoderParameters, ParameterCount.TaesdEncoder()),
            ("vae_decoder/model.onnx", decoder, decoderParameters, ParameterCount.TaesdDecoder()),
        ];
    }

    public static IReadOnlyList<ComponentReport> Write(string folder, ArchitectureOptions o, TextWriter? progress = null)
    {
        var reports = new List<ComponentReport>();
        Directory.CreateDirectory(folder);
        foreach (var (relative, model, parameters, expected) in Build(o))
        {
            if (parameters != expected)
                throw new InvalidOperationException($"{relative}: the graph holds {parameters} parameters, the published config implies {expected}");
            string path = Path.Combine(folder, relative);
            long bytes = model.Graph.InitializerBytes;
            bool external = bytes > ExternalDataThreshold;
            if (external) OnnxModelWriter.WriteFileWithExternalData(model, path, ExternalDataFile);
            else OnnxModelWriter.WriteFile(model, path);
            string component = relative[..relative.IndexOf('/')];
            reports.Add(new ComponentReport(component, parameters, expected, bytes, external));
            progress?.WriteLine($"  {relative}{(external ? " + " + ExternalDataFile : string.Empty)}: {parameters.ToString("N0", CultureInfo.InvariantCulture)} parameters ({(bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture)} MB {o.TypeName})");
        }

        var shape = UnetShape.For(o);
        TokenizerFiles.Write(Path.Combine(folder, "tokenizer"), new PackOptions { Family = ModelFamily.SdTurbo });
        PublishedLayoutPack.WriteJson(Path.Combine(folder, "scheduler", "scheduler_config.json"), w =>
        {
            w.WriteString("_class_name", "EulerDiscreteScheduler");
            w.WriteNumber("beta_end", NoiseSchedule.DefaultBetaEnd);
            w.WriteString("beta_schedule", "scaled_linear");
            w.WriteNumber("beta_start", NoiseSchedule.DefaultBetaStart);
            w.WriteNumber("num_train_timesteps", NoiseSchedule.DefaultTrainSteps);
            w.WriteString("prediction_type", "epsilon");
            w.WriteString("timestep_spacing", "trailing");
        });
        PublishedLayoutPack.WriteJson(Path.Combine(folder, "unet", "config.json"), w =>
        {
            w.WriteString("_class_name", "UNet2DConditionModel");
            w.WriteString("act_fn", "silu");
            Ints(w, "attention_head_dim", shape.Heads);
            Ints(w, "block_out_channels", shape.Widths);
            w.WriteNumber("cross_attention_dim", ArchitectureOptions.CrossAttentionWidth);
            Strings(w, "down_block_types", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D");
            w.WriteBoolean("flip_sin_to_cos", true);
            w.WriteNumber("freq_shift", 0);
            w.WriteNumber("in_channels", UnetShape.InChannels);
            w.WriteNumber("layers_per_block", UnetShape.LayersPerBlock);
            w.WriteString("mid_block_type", "UNetMidBlock2DCrossAttn");
            w.WriteNumber("norm_eps", UnetShape.NormEpsilon);
            w.WriteNumber("norm_num_groups", shape.NormGroups);
            w.WriteNumber("out_channels", UnetShape.OutChannels);
            w.WriteNumber("sample_size", o.Resolution / 8);
            Strings(w, "up_block_types", "UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D");
            w.WriteBoolean("use_linear_projection", true);
            w.WriteNumber("streamfx_width_scale", o.WidthScale);
        });
        PublishedLayoutPack.WriteJson(Path.Combine(folder, "text_encoder", "config.json"), w =>
        {
            w.WriteString("hidden_act", "gelu");
            w.WriteNumber("hidden_size", ArchitectureOptions.CrossAttentionWidth);
            w.WriteNumber("intermediate_size", 4 * TextShape.Width(o));
            w.WriteNumber("max_position_embeddings", TextShape.Positions);
            w.WriteString("model_type", "clip_text_model");
            w.WriteNumber("num_attention_heads", TextShape.Heads);
            w.WriteNumber("num_hidden_layers", TextShape.Layers);
            w.WriteNumber("vocab_size", TextShape.Vocabulary);
            w.WriteNumber("streamfx_inner_width", TextShape.Width(o));
        });
        foreach (string vae in new[] { "vae_encoder", "vae_decoder" })
        {
            // TAESD as the model's own autoencoder: its config says so, and its scale 1.0 (not the full VAE's 0.18215).
            PublishedLayoutPack.WriteJson(Path.Combine(folder, vae, "config.json"), w =>
            {
                w.WriteString("_class_name", "AutoencoderTiny");
                w.WriteNumber("latent_channels", TaesdShape.LatentChannels);
                w.WriteNumber("scaling_factor", 1.0);
            });
        }

        PublishedLayoutPack.WriteJson(Path.Combine(folder, PublishedLayoutPack.ModelIndexFile), w =>
        {
            w.WriteString("_class_name", "OnnxStableDiffusionPipeline");
            w.WriteString("_diffusers_version", "0.24.0");
            w.WriteBoolean("requires_safety_checker", false);
            PublishedLayoutPack.Component(w, "safety_checker", null, null);
            PublishedLayoutPack.Component(w, "scheduler", "diffusers", "EulerDiscreteScheduler");
            PublishedLayoutPack.Component(w, "text_encoder", "diffusers", "OnnxRuntimeModel");
            PublishedLayoutPack.Component(w, "tokenizer", "transformers", "CLIPTokenizer");
            PublishedLayoutPack.Component(w, "unet", "diffusers", "OnnxRuntimeModel");
            PublishedLayoutPack.Component(w, "vae_decoder", "diffusers", "OnnxRuntimeModel");
            PublishedLayoutPack.Component(w, "vae_encoder", "diffusers", "OnnxRuntimeModel");
        });
        return reports;
    }

    internal static OnnxModel Describe(OnnxModel model, ArchitectureOptions o, string component, long parameters) =>
        model.WithMetadata("streamfx.kind", ModelKinds.StreamDiffusion)
            .WithMetadata("streamfx.component", component)
            .WithMetadata("streamfx.family", "sd-turbo")
            .WithMetadata("streamfx.variant", "architecture")
            .WithMetadata("streamfx.width_scale", o.WidthScale.ToString("R", CultureInfo.InvariantCulture))
            .WithMetadata("streamfx.attention", o.FusedAttention ? "fused" : "plain")
            .WithMetadata("streamfx.parameters", parameters.ToString(CultureInfo.InvariantCulture))
            .WithMetadata("streamfx.synthetic", "true");

    private static void Ints(System.Text.Json.Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (int v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    private static void Strings(System.Text.Json.Utf8JsonWriter w, string name, params string[] values)
    {
        w.WriteStartArray(name);
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
