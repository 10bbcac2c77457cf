using System.Text.Json;

namespace StreamFx.Host.Effects;

/// <summary>
/// The parts of a model folder's manifest.json the host needs: the kind (which pipeline runs it)
/// and, for image effects, the model file and tensor names. Read with Utf8JsonReader (no reflection).
/// </summary>
public sealed record ModelManifest(string Folder, string Kind, string Name, string ModelFile, string InputName, string OutputName)
{
    public const string FileName = "manifest.json";
    public const string ModelIndexFileName = "model_index.json";
    private const string StreamDiffusionKind = "stream-diffusion";

    /// <summary>Reads folder/manifest.json. Throws <see cref="InvalidDataException"/> naming the file and field on bad content.</summary>
    public static ModelManifest Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!Directory.Exists(folder))
        {
            throw new InvalidDataException($"model folder '{folder}' does not exist");
        }

        if (!File.Exists(path))
        {
            // A published diffusers ONNX download has no manifest.json: its model_index.json makes it a
            // stream-diffusion folder, which the pipeline reads as it is (docs/models.md "Published layouts").
            if (File.Exists(Path.Combine(folder, ModelIndexFileName)))
            {
                return new ModelManifest(folder, StreamDiffusionKind, Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), "", "", "");
            }

            throw new InvalidDataException($"'{path}' is missing: a model folder needs a manifest.json, or a {ModelIndexFileName} (a published diffusers ONNX folder)");
        }

        byte[] bytes = File.ReadAllBytes(path);
        string? kind = null, name = null, model = null, input = null, output = null;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new InvalidDataException($"'{path}': expected a JSON object, found {reader.TokenType}");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string property = reader.GetString()!;
                reader.Read();
                switch (property)
                {
                    case "kind": kind = ReadString(path, property, ref reader); break;
                    case "name": name = ReadString(path, property, ref reader); break;
                    case "model": model = ReadString(path, property, ref reader); break;
                    case "input": input = ReadString(path, property, ref reader); break;
                    case "output": output = ReadString(path, property, ref reader); break;
                    default: reader.Skip(); break;
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}");
        }

        if (string.IsNullOrEmpty(kind))
        {
            throw new InvalidDataException($"'{path}': field \"kind\" is missing (expected \"image-effect\" or \"stream-diffusion\")");
        }

        model ??= "model.onnx";
        if (Path.GetFileName(model) != model || model is "." or "..")
        {
            throw new InvalidDataException($"'{path}': field \"model\": expected a file name inside the model folder, found \"{model}\"");
        }

        return new ModelManifest(folder, kind, name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), model, input ?? "image", output ?? "image_out");
    }

    public string ModelPath => Path.Combine(Folder, ModelFile);

    private static string ReadString(string path, string property, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new InvalidDataException($"'{path}': field \"{property}\": expected a string, found {reader.TokenType}");
        }

        return reader.GetString()!;
    }
}
