using StreamFx.ModelPack.Diffusion;
using StreamFx.ModelPack.ImageEffects;

namespace StreamFx.Bridge.Tests.Support;

/// <summary>Model folders the host tests load, generated once per test run into a temp folder.</summary>
public sealed class ModelFolders : IDisposable
{
    public ModelFolders()
    {
        Root = Directory.CreateTempSubdirectory("streamfx-models-").FullName;
        Invert = Path.Combine(Root, "invert");
        ImageEffectPack.Write(Invert, ImageEffect.Invert);

        StreamDiffusion = Path.Combine(Root, "diffusion");
        Directory.CreateDirectory(StreamDiffusion);
        File.WriteAllText(Path.Combine(StreamDiffusion, "manifest.json"), "{\"kind\":\"stream-diffusion\",\"name\":\"sd-test\"}\n");

        WrongTensorName = Path.Combine(Root, "wrong-input");
        ImageEffectPack.Write(WrongTensorName, ImageEffect.Identity);
        File.WriteAllText(Path.Combine(WrongTensorName, "manifest.json"), "{\"kind\":\"image-effect\",\"name\":\"wrong\",\"model\":\"model.onnx\",\"input\":\"pixels\",\"output\":\"image_out\"}\n");

        Missing = Path.Combine(Root, "does-not-exist");
        _defaultDiffusion = new Lazy<string>(() =>
        {
            string folder = Path.Combine(Root, "default");
            StreamDiffusionPack.Write(folder, new PackOptions());
            return folder;
        });
    }

    private readonly Lazy<string> _defaultDiffusion;

    /// <summary>The pack scripts/build.sh ships as build/models/default (sd-turbo, 512), generated on first use.</summary>
    public string DefaultDiffusion => _defaultDiffusion.Value;

    public string Root { get; }
    public string Invert { get; }
    public string StreamDiffusion { get; }
    public string WrongTensorName { get; }
    public string Missing { get; }

    public static string ConfigureJson(string? modelDir)
    {
        using var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("resolution", 512);
            writer.WriteBoolean("bypass", false);
            if (modelDir is not null)
            {
                writer.WriteString("model_dir", modelDir);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
