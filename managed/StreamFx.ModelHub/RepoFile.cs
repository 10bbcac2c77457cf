using System.Text.Json;

namespace StreamFx.ModelHub;

/// <summary>
/// One file of a hub repository as the tree API lists it: LFS files carry their sha256 (<c>lfs.oid</c>), small files
/// only their git blob id (<c>oid</c>, SHA-1 of "blob &lt;size&gt;\0" + content); either one is checked.
/// </summary>
public sealed record RepoFile(string Path, long Size, string? Sha256, string? GitOid)
{
    public string Checksum => Sha256 is not null ? "sha256:" + Sha256 : "git-blob:" + GitOid;

    /// <summary>Parses one page of the tree API (a JSON array); folders are skipped, anything else unknown is refused.</summary>
    public static List<RepoFile> ParseTreePage(string json, string source)
    {
        var files = new List<RepoFile>();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw Bad(source, $"not valid JSON ({e.Message})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw Bad(source, "expected a JSON array of entries");
            int i = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                string at = $"entry {i++}";
                string type = Str(e, "type") ?? throw Bad(source, $"{at}: no 'type'");
                string path = Str(e, "path") ?? throw Bad(source, $"{at}: no 'path'");
                if (type == "directory") continue;
                if (type != "file")
                    throw new ModelHubException(ModelHubFault.UnsafePath, $"{source} lists '{path}' of type '{type}': refused, only files are downloaded");
                long size = Long(e, "size") ?? throw Bad(source, $"'{path}': no 'size'");
                string? sha256 = null;
                if (e.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    sha256 = Str(lfs, "oid") ?? Str(lfs, "sha256");
                    if (sha256 is null || sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit))
                        throw Bad(source, $"'{path}': lfs.oid: expected 64 hex digits (sha256), found '{sha256}'");
                    if (Long(lfs, "size") is { } lfsSize) size = lfsSize;
                }
                string? oid = Str(e, "oid");
                if (sha256 is null && (oid is null || oid.Length != 40 || !oid.All(char.IsAsciiHexDigit)))
                    throw Bad(source, $"'{path}': expected lfs.oid (sha256) or oid (40 hex digits), found neither");
                if (size < 0) throw Bad(source, $"'{path}': size: expected >= 0, found {size}");
                files.Add(new RepoFile(path, size, sha256?.ToLowerInvariant(), oid?.ToLowerInvariant()));
            }
        }
        return files;
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l) ? l : null;

    private static ModelHubException Bad(string source, string what) => new(ModelHubFault.ServerError, $"file list {source}: {what}");
}
