using System.Text.Json;

namespace StreamFx.Diffusion.Model;

// The one reader of model folders: which layout a folder has, its kind, and manifest.json's fields by name.

/// <summary>
/// A model folder as the host finds it: a StreamFx pack or image effect (manifest.json, whose "kind" says
/// which pipeline runs it) or a published diffusers ONNX download without a manifest (model_index.json;
/// always a stream-diffusion folder, which <see cref="PublishedLayout"/> reads). The host picks the
/// pipeline from <see cref="Kind"/>; <see cref="DiffusionManifest"/> and the image effect read their
/// fields through <see cref="Manifest"/>. Every error is a <see cref="ModelFolderException"/> naming
/// the file and field. Read with JsonDocument (no reflection, NativeAOT-safe).
/// </summary>
public sealed class ModelFolder
{
    private ModelFolder(string folder, ManifestFields? manifest, string kind)
    {
        Folder = folder;
        Manifest = manifest;
        Kind = kind;
    }

    public const string ManifestFile = "manifest.json";
    public const string StreamDiffusionKind = "stream-diffusion";
    public const string ImageEffectKind = "image-effect";

    /// <summary>The folder's full path.</summary>
    public string Folder { get; }

    /// <summary>manifest.json's top-level fields; null for a published diffusers ONNX folder.</summary>
    public ManifestFields? Manifest { get; }

    /// <summary>The manifest's "kind" (any string; the caller says which it runs), or stream-diffusion for a published folder.</summary>
    public string Kind { get; }

    /// <summary>The folder's name (STATUS "model", and the default model name).</summary>
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Folder));

    public string ManifestPath => Path.Combine(Folder, ManifestFile);

    /// <summary>Finds the folder's layout and reads manifest.json's kind, if it has one.</summary>
    public static ModelFolder Open(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder)) throw new ModelFolderException(folder, "model folder", "an existing folder", "nothing at that path");
        string path = Path.Combine(folder, ManifestFile);
        if (!File.Exists(path))
        {
            string index = Path.Combine(folder, PublishedLayout.ModelIndexFile);
            if (!File.Exists(index))
                throw new ModelFolderException(index, "file", $"present (a published diffusers ONNX folder) or {ManifestFile} (a StreamFx pack)", "neither in the folder");
            return new ModelFolder(folder, null, StreamDiffusionKind);
        }

        JsonElement root = ReadJson(path);
        if (root.ValueKind != JsonValueKind.Object) throw new ModelFolderException(path, "root", "a JSON object", root.ValueKind.ToString());
        var fields = new ManifestFields(path, root);
        string? kind = fields.OptionalString("kind");
        if (string.IsNullOrEmpty(kind))
            throw new ModelFolderException(path, "field \"kind\"", $"\"{ImageEffectKind}\" or \"{StreamDiffusionKind}\"", "missing");
        return new ModelFolder(folder, fields, kind);
    }

    // Hand-edited manifests may carry comments and trailing commas; neither changes what they say.
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Parses one JSON file of a model folder; a bad or unreadable file is named.</summary>
    public static JsonElement ReadJson(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path), Lenient);
            return doc.RootElement.Clone();
        }
        catch (JsonException e) { throw new ModelFolderException(path, "json", "valid JSON", e.Message, e); }
        catch (IOException e) { throw new ModelFolderException(path, "file", "readable", e.Message, e); }
    }
}

/// <summary>
/// Typed access to one JSON object of a model folder's file: each getter names the file and the field
/// ("field \"models.unet\"") when a value is missing or of the wrong type.
/// </summary>
public readonly struct ManifestFields(string path, JsonElement element, string prefix = "")
{
    public string File => path;

    private JsonElement? Get(string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private ModelFolderException Bad(string name, string expected, JsonElement found) =>
        new(path, $"field \"{prefix}{name}\"", expected, found.GetRawText());

    public string String(string name, string? fallback = null)
    {
        var v = Get(name);
        if (v is null)
            return fallback ?? throw new ModelFolderException(path, $"field \"{prefix}{name}\"", "present", "missing");
        return v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString()! : throw Bad(name, "a string", v.Value);
    }

    public string? OptionalString(string name)
    {
        var v = Get(name);
        if (v is null) return null;
        return v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString()! : throw Bad(name, "a string", v.Value);
    }

    public string OneOf(string name, params string[] allowed) => Choice(name, false, allowed)!;

    public string? OptionalOneOf(string name, params string[] allowed) => Choice(name, true, allowed);

    private string? Choice(string name, bool optional, string[] allowed)
    {
        var v = Get(name);
        string expected = string.Join(" or ", allowed.Select(a => $"\"{a}\""));
        if (v is null)
            return optional ? null : throw new ModelFolderException(path, $"field \"{prefix}{name}\"", expected, "missing");
        if (v.Value.ValueKind != JsonValueKind.String || !allowed.Contains(v.Value.GetString()))
            throw Bad(name, expected, v.Value);
        return v.Value.GetString();
    }

    public int Int(string name, int? fallback = null)
    {
        var v = Get(name);
        if (v is null)
            return fallback ?? throw new ModelFolderException(path, $"field \"{prefix}{name}\"", "an integer", "missing");
        return v.Value.ValueKind == JsonValueKind.Number && v.Value.TryGetInt32(out int i) ? i : throw Bad(name, "an integer", v.Value);
    }

    public double Number(string name, double fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return v.Value.ValueKind == JsonValueKind.Number ? v.Value.GetDouble() : throw Bad(name, "a number", v.Value);
    }

    public bool Bool(string name, bool fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return v.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(name, "true or false", v.Value),
        };
    }

    /// <summary>A nested object's fields (named "parent.child" in errors), or null when absent.</summary>
    public ManifestFields? Object(string name)
    {
        var v = Get(name);
        if (v is null) return null;
        return v.Value.ValueKind == JsonValueKind.Object ? new ManifestFields(path, v.Value, $"{prefix}{name}.") : throw Bad(name, "an object", v.Value);
    }
}
