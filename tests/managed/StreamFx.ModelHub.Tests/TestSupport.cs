using System.Text;

namespace StreamFx.ModelHub.Tests;

public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sfx-modelhub-" + Guid.NewGuid().ToString("N"));
    public TempFolder() => Directory.CreateDirectory(Path);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

public static class Fixtures
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    /// <summary>A repo of deterministic files: small ones (git blob ids) and larger ones (LFS, sha256).</summary>
    public static FakeRepo SmallRepo(int largeBytes = 300_000)
    {
        var repo = new FakeRepo(Commit);
        repo.Files["model_index.json"] = Encoding.UTF8.GetBytes("{\"_class_name\": \"StableDiffusionPipeline\"}\n");
        repo.Files["unet/model.onnx"] = Bytes(largeBytes, 1);
        repo.Files["vae_decoder/model.onnx"] = Bytes(largeBytes / 2 + 7, 2);
        repo.Files["vae_encoder/model.onnx"] = Bytes(largeBytes / 3 + 3, 3);
        repo.Files["README.md"] = Encoding.UTF8.GetBytes("not selected by the catalogue\n");
        return repo;
    }

    public static byte[] Bytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    public static string CatalogueJson(string hub) => $$"""
        {
          "format_version": 1,
          "hub": "{{hub}}",
          "models": [
            { "id": "tiny", "name": "Tiny test repo", "kind": "stream-diffusion", "repo": "test/tiny", "revision": "main",
              "include": ["model_index.json", "unet/", "vae_decoder/", "vae_encoder/"],
              "licence": { "name": "MIT", "url": "https://example.invalid/licence", "must_accept": false }, "approx_bytes": 700000 },
            { "id": "ae", "name": "Autoencoder", "kind": "autoencoder", "repo": "test/ae", "revision": "main",
              "include": ["vae_decoder/", "vae_encoder/"],
              "licence": { "name": "MIT", "url": "https://example.invalid/licence", "must_accept": false }, "approx_bytes": 300000 },
            { "id": "pair", "name": "Tiny + AE", "kind": "stream-diffusion", "parts": { "model_dir": "tiny", "vae_dir": "ae" } }
          ]
        }
        """;

    /// <summary>Short timeouts for the fault tests; long enough that a busy 2-core machine never trips them by accident.</summary>
    public static DownloadOptions FastOptions(Func<string, long>? free = null, double stallSeconds = 10) => new()
    {
        StallTimeout = TimeSpan.FromSeconds(stallSeconds),
        AttemptsWithoutProgress = 2,
        AvailableBytes = free ?? (_ => long.MaxValue),
        Reserve = 0,
    };

    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "StreamFx.Obs.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    public static string[] Entries(string dir) => Directory.EnumerateFileSystemEntries(dir).Select(e => System.IO.Path.GetFileName(e)).Order().ToArray();

    /// <summary>Every file under a folder, relative, for "nothing was written there" checks.</summary>
    public static string[] FilesUnder(string dir) => Directory.Exists(dir)
        ? Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Select(f => System.IO.Path.GetRelativePath(dir, f)).Order().ToArray()
        : [];
}

/// <summary>A hub with the tiny test repos, a models folder and a downloader pointed at the hub.</summary>
public sealed class HubSetup : IDisposable
{
    public LoopbackHub Hub { get; } = new();
    public TempFolder Temp { get; } = new();
    public FakeRepo Tiny { get; } = Fixtures.SmallRepo();
    public FakeRepo Ae { get; } = Fixtures.SmallRepo(90_000);
    public string ModelsRoot => Path.Combine(Temp.Path, "models");
    public Catalogue Catalogue { get; }
    public HttpClient Http { get; } = HubDownloader.CreateHttpClient("0.1.0-test");

    public HubSetup()
    {
        Hub.Repos["test/tiny"] = Tiny;
        Hub.Repos["test/ae"] = Ae;
        Catalogue = Catalogue.Parse(Fixtures.CatalogueJson(Hub.BaseUrl), "test catalogue");
    }

    public ModelDownloads Downloads(DownloadOptions? options = null) =>
        new(new HubDownloader(Http, options ?? Fixtures.FastOptions()), Catalogue, ModelsRoot);

    public long SelectedBytes(FakeRepo repo, string id) =>
        repo.Files.Where(f => Catalogue.Find(id).Includes(f.Key)).Sum(f => (long)f.Value.Length);

    public void Dispose()
    {
        Http.Dispose();
        Hub.Dispose();
        Temp.Dispose();
    }
}
