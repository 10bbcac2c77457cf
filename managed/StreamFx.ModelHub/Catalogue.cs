using System.Text.Json;

namespace StreamFx.ModelHub;

public sealed record Licence(string Name, string Url, bool MustAccept);

/// <summary>
/// One catalogue entry. A plain entry is one hub repository (<see cref="Repo"/> set); a pair names two other
/// entries (<see cref="ModelPart"/> for model_dir, <see cref="VaePart"/> for vae_dir) and downloads both.
/// </summary>
public sealed record CatalogueEntry(
    string Id,
    string Name,
    string Kind,
    string? Repo,
    string Revision,
    IReadOnlyList<string> Include,
    Licence? Licence,
    long ApproxBytes,
    string? ModelPart,
    string? VaePart)
{
    public bool IsPair => ModelPart is not null;

    /// <summary>Whether a repository path is selected by <see cref="Include"/>: an exact file name, or a prefix ending in '/'.</summary>
    public bool Includes(string path) =>
        Include.Count == 0 || Include.Any(p => p.EndsWith('/') ? path.StartsWith(p, StringComparison.Ordinal) : path == p);
}

/// <summary>The model catalogue (native-shim/data/models/catalogue.json), read without reflection.</summary>
public sealed class Catalogue
{
    public const int FormatVersion = 1;
    public static readonly string[] Kinds = ["stream-diffusion", "autoencoder"];

    /// <summary>The hub's base URL; a mirror or a test server stands in by changing this one string.</summary>
    public string HubBaseUrl { get; }
    public IReadOnlyList<CatalogueEntry> Entries { get; }

    public Catalogue(string hubBaseUrl, IReadOnlyList<CatalogueEntry> entries)
    {
        HubBaseUrl = hubBaseUrl.TrimEnd('/');
        Entries = entries;
    }

    public CatalogueEntry Find(string id) =>
        Entries.FirstOrDefault(e => e.Id == id)
        ?? throw new ModelHubException(ModelHubFault.UnknownModel,
            $"no model '{id}' in the catalogue; known: {string.Join(", ", Entries.Select(e => e.Id))}");

    /// <summary>The downloadable repositories behind an entry: itself, or a pair's two parts.</summary>
    public IReadOnlyList<CatalogueEntry> Parts(CatalogueEntry entry) =>
        entry.IsPair ? [Find(entry.ModelPart!), Find(entry.VaePart!)] : [entry];

    public long ApproxBytes(CatalogueEntry entry) => Parts(entry).Sum(p => p.ApproxBytes);

    /// <summary>A copy that fetches from another hub (a mirror, or a test server on loopback).</summary>
    public Catalogue WithHub(string hubBaseUrl) => new(hubBaseUrl, Entries);

    public static Catalogue Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw Bad(source, $"not valid JSON ({e.Message})");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(source, "expected a JSON object at the top level");
            int version = RequiredInt(root, "format_version", source, "");
            if (version > FormatVersion)
                throw Bad(source, $"format_version: expected at most {FormatVersion}, found {version}");
            string hub = RequiredString(root, "hub", source, "");
            if (!Uri.TryCreate(hub, UriKind.Absolute, out _)) throw Bad(source, $"hub: expected an absolute URL, found '{hub}'");
            if (!root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
                throw Bad(source, "models: expected an array");

            var entries = new List<CatalogueEntry>();
            int index = 0;
            foreach (var m in models.EnumerateArray())
            {
                string at = $"models[{index++}].";
                if (m.ValueKind != JsonValueKind.Object) throw Bad(source, $"{at.TrimEnd('.')}: expected an object");
                entries.Add(ParseEntry(m, source, at));
            }
            var catalogue = new Catalogue(hub, entries);
            foreach (var dup in entries.GroupBy(e => e.Id).Where(g => g.Count() > 1))
                throw Bad(source, $"id '{dup.Key}' appears {dup.Count()} times");
            foreach (var pair in entries.Where(e => e.IsPair))
            {
                foreach (var (field, part) in new[] { ("model_dir", pair.ModelPart!), ("vae_dir", pair.VaePart!) })
                {
                    var target = entries.FirstOrDefault(e => e.Id == part);
                    if (target is null || target.IsPair)
                        throw Bad(source, $"'{pair.Id}'.parts.{field}: expected the id of a plain entry, found '{part}'");
                }
            }
            return catalogue;
        }
    }

    private static CatalogueEntry ParseEntry(JsonElement m, string source, string at)
    {
        string id = RequiredString(m, "id", source, at);
        if (id.Length == 0 || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || id.StartsWith('.'))
            throw Bad(source, $"{at}id: expected letters, digits, '-', '_' or '.', found '{id}'");
        string name = RequiredString(m, "name", source, at);
        string kind = RequiredString(m, "kind", source, at);
        if (!Kinds.Contains(kind)) throw Bad(source, $"{at}kind: expected one of {string.Join(", ", Kinds)}, found '{kind}'");

        if (m.TryGetProperty("parts", out var parts))
        {
            if (parts.ValueKind != JsonValueKind.Object) throw Bad(source, $"{at}parts: expected an object");
            return new CatalogueEntry(id, name, kind, null, "", [], null, 0,
                RequiredString(parts, "model_dir", source, at + "parts."), RequiredString(parts, "vae_dir", source, at + "parts."));
        }

        string repo = RequiredString(m, "repo", source, at);
        if (repo.Split('/') is not [{ Length: > 0 } owner, { Length: > 0 } rest] || owner is "." or ".." || rest is "." or "..")
            throw Bad(source, $"{at}repo: expected 'owner/name', found '{repo}'");
        string revision = m.TryGetProperty("revision", out var rev) && rev.ValueKind == JsonValueKind.String ? rev.GetString()! : "main";
        var include = new List<string>();
        if (m.TryGetProperty("include", out var inc))
        {
            if (inc.ValueKind != JsonValueKind.Array) throw Bad(source, $"{at}include: expected an array of strings");
            foreach (var i in inc.EnumerateArray())
                include.Add(i.ValueKind == JsonValueKind.String ? i.GetString()! : throw Bad(source, $"{at}include: expected strings, found {i.ValueKind}"));
        }
        if (!m.TryGetProperty("licence", out var lic) || lic.ValueKind != JsonValueKind.Object)
            throw Bad(source, $"{at}licence: expected an object with name, url, must_accept");
        var licence = new Licence(RequiredString(lic, "name", source, at + "licence."), RequiredString(lic, "url", source, at + "licence."),
            lic.TryGetProperty("must_accept", out var ma) && ma.ValueKind == JsonValueKind.True);
        long approx = m.TryGetProperty("approx_bytes", out var ab) && ab.ValueKind == JsonValueKind.Number && ab.TryGetInt64(out long v) ? v : 0;
        return new CatalogueEntry(id, name, kind, repo, revision, include, licence, approx, null, null);
    }

    private static string RequiredString(JsonElement o, string field, string source, string at) =>
        o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw Bad(source, $"{at}{field}: expected a string, found {(o.TryGetProperty(field, out var f) ? f.ValueKind.ToString() : "nothing")}");

    private static int RequiredInt(JsonElement o, string field, string source, string at) =>
        o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)
            ? i
            : throw Bad(source, $"{at}{field}: expected an integer");

    private static ModelHubException Bad(string source, string what) =>
        new(ModelHubFault.BadCatalogue, $"catalogue {source}: {what}");
}
