using StreamFx.ModelPack.Manifests;
using StreamFx.Onnx;

namespace StreamFx.ModelPack.ImageEffects;

public enum ImageEffect
{
    Identity,
    Invert,
}

/// <summary>
/// Writes an "image-effect" model folder: manifest.json plus model.onnx taking
/// image float32 [1,3,height,width] RGB in [0,1] and returning image_out of the same shape.
/// </summary>
public static class ImageEffectPack
{
    public const string ModelFileName = "model.onnx";
    public const string InputName = "image";
    public const string OutputName = "image_out";

    public static ImageEffect Parse(string name) => name.ToLowerInvariant() switch
    {
        "identity" => ImageEffect.Identity,
        "invert" => ImageEffect.Invert,
        _ => throw new ArgumentException($"unknown image effect '{name}' (expected identity or invert)"),
    };

    public static string Name(ImageEffect effect) => effect switch
    {
        ImageEffect.Identity => "identity",
        ImageEffect.Invert => "invert",
        _ => throw new ArgumentOutOfRangeException(nameof(effect), effect, null),
    };

    public static OnnxModel BuildModel(ImageEffect effect)
    {
        var g = new OnnxGraphBuilder("image_effect_" + Name(effect));
        OnnxDim[] shape = [1, 3, "height", "width"];
        g.AddInput(InputName, OnnxElementType.Float, shape);
        switch (effect)
        {
            case ImageEffect.Identity:
                g.AddNode("Identity", [InputName], [OutputName]);
                break;
            case ImageEffect.Invert:
                string one = g.AddInitializer(OnnxTensor.FromFloat("one", [1f]));
                g.AddNode("Sub", [one, InputName], [OutputName]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(effect), effect, null);
        }

        g.AddOutput(OutputName, OnnxElementType.Float, shape);
        return new OnnxModel(g).WithMetadata("streamfx.kind", ModelKinds.ImageEffect).WithMetadata("streamfx.effect", Name(effect));
    }

    /// <summary>Writes manifest.json and model.onnx into the folder (created if missing).</summary>
    public static void Write(string folder, ImageEffect effect)
    {
        Directory.CreateDirectory(folder);
        OnnxModelWriter.WriteFile(BuildModel(effect), Path.Combine(folder, ModelFileName));
        ManifestJson.Write(folder, w =>
        {
            w.WriteString("kind", ModelKinds.ImageEffect);
            w.WriteNumber("format_version", ModelKinds.FormatVersion);
            w.WriteString("name", Name(effect));
            w.WriteString("model", ModelFileName);
            w.WriteString("input", InputName);
            w.WriteString("output", OutputName);
            w.WriteString("layout", "NCHW");
            w.WriteString("color", "RGB");
            w.WriteString("tensor_dtype", "float32");
            w.WriteString("image_range", "[0,1]");
            w.WriteBoolean("synthetic", true);
        });
    }
}
