using StreamFx.Diffusion.Model;

namespace StreamFx.Host.Effects;

// What an "image-effect" folder's manifest.json says, read through the one model-folder reader.

/// <summary>
/// The fields of an image effect's manifest.json: the model file and its input and output tensor names
/// (docs/models.md). Read from an opened <see cref="ModelFolder"/>; errors name the file and field.
/// </summary>
public sealed record ImageEffectManifest(string Folder, string Name, string ModelFile, string InputName, string OutputName)
{
    public string ModelPath => Path.Combine(Folder, ModelFile);

    public static ImageEffectManifest From(ModelFolder folder)
    {
        ManifestFields fields = folder.Manifest
            ?? throw new ModelFolderException(folder.ManifestPath, "file", $"present (an {ModelFolder.ImageEffectKind} folder)", "missing");
        string model = fields.String("model", "model.onnx");
        if (Path.GetFileName(model) != model || model is "" or "." or "..")
            throw new ModelFolderException(fields.File, "field \"model\"", "a file name inside the model folder", $"\"{model}\"");
        return new ImageEffectManifest(folder.Folder, fields.String("name", folder.Name), model, fields.String("input", "image"), fields.String("output", "image_out"));
    }
}
