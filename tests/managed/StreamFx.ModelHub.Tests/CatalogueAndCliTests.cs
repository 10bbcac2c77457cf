using System.Diagnostics;
using StreamFx.Diffusion.Imaging;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Diffusion.Runtime;
using StreamFx.ModelPack.Diffusion;

namespace StreamFx.ModelHub.Tests;

public class CatalogueAndCliTests
{
    private static string ShippedCataloguePath => Path.Combine(Fixtures.RepoRoot(), "native-shim", "data", "models", "catalogue.json");

    [Fact]
    public void TheShippedCatalogueNamesTheHubOnceAndTheThreeEntries()
    {
        string text = File.ReadAllText(ShippedCataloguePath);
        var c = Catalogue.Parse(text, ShippedCataloguePath);
        Assert.Equal("https://huggingface.co", c.HubBaseUrl);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(text, "https://huggingface.co\""));

        var turbo = c.Find("sd-turbo-onnx");
        Assert.Equal(("onnxruntime/sd-turbo", "stream-diffusion", true), (turbo.Repo, turbo.Kind, turbo.Licence!.MustAccept));
        Assert.True(turbo.Includes("unet/model.onnx") && turbo.Includes("model_index.json") && turbo.Includes("tokenizer/vocab.json"));
        Assert.False(turbo.Includes("README.md"));
        var taesd = c.Find("taesd");
        Assert.Equal(("deinferno/taesd-onnx", "autoencoder", "MIT"), (taesd.Repo, taesd.Kind, taesd.Licence!.Name));
        var pair = c.Find("sd-turbo-taesd");
        Assert.Equal(["sd-turbo-onnx", "taesd"], c.Parts(pair).Select(p => p.Id).ToArray());
        Assert.True(c.ApproxBytes(pair) > 2_000_000_000);
    }

    [Theory]
    [InlineData("\"repo\": \"test/tiny\"", "\"repo\": 5", "models[0].repo: expected a string")]
    [InlineData("\"repo\": \"test/tiny\"", "\"repo\": \"../x\"", "models[0].repo: expected 'owner/name'")]
    [InlineData("\"kind\": \"autoencoder\"", "\"kind\": \"lora\"", "models[1].kind: expected one of stream-diffusion, autoencoder, found 'lora'")]
    [InlineData("\"vae_dir\": \"ae\"", "\"vae_dir\": \"nope\"", "'pair'.parts.vae_dir: expected the id of a plain entry, found 'nope'")]
    [InlineData("\"format_version\": 1", "\"format_version\": 9", "format_version: expected at most 1, found 9")]
    public void ABrokenCatalogueNamesTheFieldAndWhatWasExpected(string from, string to, string expected)
    {
        string json = Fixtures.CatalogueJson("http://127.0.0.1:1").Replace(from, to);
        var e = Assert.Throws<ModelHubException>(() => Catalogue.Parse(json, "cat.json"));
        Assert.Equal(ModelHubFault.BadCatalogue, e.Fault);
        Assert.StartsWith("catalogue cat.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("unet/model.onnx", null)]
    [InlineData("tokenizer/vocab.json", null)]
    [InlineData("unet/model.onnx_data", null)]
    [InlineData("a/./b", "a '.' segment")]
    [InlineData("a//b", "an empty path segment")]
    [InlineData("aux.txt", "reserved name on Windows")]
    [InlineData("LPT1", "reserved name on Windows")]
    [InlineData("ab:c", "not allowed on Windows")]
    [InlineData("x:y", "drive-qualified")]
    public void PathRules(string path, string? problem)
    {
        string? found = RepoPaths.Problem(path);
        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found);
    }

    /// <summary>
    /// The shipped catalogue with its one hub string pointed at a loopback server that serves a pack from the real
    /// generator as onnxruntime/sd-turbo and deinferno/taesd-onnx; the CLI downloads the pair and the real loader opens it.
    /// </summary>
    [Fact]
    public async Task TheCliDownloadsThePairAndTheRealLoaderOpensIt()
    {
        using var hub = new LoopbackHub();
        using var temp = new TempFolder();
        string pack = Path.Combine(temp.Path, "pack");
        StreamDiffusionPack.Write(pack, new PackOptions { Family = ModelFamily.SdTurbo, Resolution = 64 });
        hub.Repos["onnxruntime/sd-turbo"] = FakeRepo.FromFolder(pack, Fixtures.Commit);
        var taesd = new FakeRepo("fedcba9876543210fedcba9876543210fedcba98");
        foreach (var (p, b) in hub.Repos["onnxruntime/sd-turbo"].Files.Where(f => f.Key.StartsWith("vae_", StringComparison.Ordinal))) taesd.Files[p] = b;
        hub.Repos["deinferno/taesd-onnx"] = taesd;
        // This branch's loader needs the synthetic pack's manifest.json (the manifest-free loader of issue 11 does not),
        // so the test catalogue also selects it; everything else is the shipped file with the hub rewritten.
        hub.CatalogueJson = File.ReadAllText(ShippedCataloguePath)
            .Replace("\"https://huggingface.co\"", $"\"{hub.BaseUrl}\"")
            .Replace("\"include\": [\"model_index.json\"", "\"include\": [\"manifest.json\", \"model_index.json\"");
        string models = Path.Combine(temp.Path, "models");

        var (code, stdout, stderr) = await Cli("download", "sd-turbo-taesd", "--catalogue", hub.BaseUrl + "/catalogue.json", "--dir", models);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        string modelDir = Path.Combine(models, "sd-turbo-onnx");
        Assert.Contains($"model_dir={modelDir}", stdout);
        Assert.Contains($"vae_dir={Path.Combine(models, "taesd")}", stdout);
        Assert.Contains("licence: Stability AI", stdout);
        Assert.Contains("100%", stdout); // plain progress lines when not a terminal
        Assert.Contains($"commit {Fixtures.Commit}", stdout);
        Assert.Equal(hub.Repos["onnxruntime/sd-turbo"].Files["unet/model.onnx"], File.ReadAllBytes(Path.Combine(modelDir, "unet", "model.onnx")));

        using (var fx = new StreamDiffusionEffect(modelDir, new EffectSettings { ExecutionProvider = ExecutionProviderKind.Cpu }))
        {
            var frame = new byte[64 * 64 * 4];
            new Random(5).NextBytes(frame);
            var output = new byte[frame.Length];
            Assert.True(fx.Process(frame, output, 64, 64, 64 * 4, PixelLayout.Rgba));
            Assert.Contains(output, b => b != 0);
        }

        (code, stdout, _) = await Cli("verify", modelDir);
        Assert.Equal(0, code);
        Assert.Contains($"at commit {Fixtures.Commit}", stdout);
        (code, stdout, _) = await Cli("list", "--catalogue", hub.BaseUrl + "/catalogue.json", "--dir", models);
        Assert.Equal(0, code);
        Assert.Contains(stdout.Split('\n'), l => l.StartsWith("sd-turbo-taesd\t", StringComparison.Ordinal) && l.Contains("\tready\t"));

        // verify names a damaged file and fails.
        string unet = Path.Combine(modelDir, "unet", "model.onnx");
        var bytes = File.ReadAllBytes(unet);
        bytes[100] ^= 1;
        File.WriteAllBytes(unet, bytes);
        (code, _, stderr) = await Cli("verify", modelDir);
        Assert.Equal(1, code);
        Assert.Contains(unet + ": checksum expected sha256:", stderr);
    }

    [Fact]
    public async Task TheCliExitsNonZeroWithTheReasonWhenADownloadFails()
    {
        using var s = new HubSetup();
        s.Hub.CatalogueJson = Fixtures.CatalogueJson(s.Hub.BaseUrl);
        s.Tiny.Faults["unet/model.onnx"] = new FileFault { CorruptAt = 3 };
        string catalogue = s.Hub.BaseUrl + "/catalogue.json";

        var (code, _, stderr) = await Cli("download", "tiny", "--catalogue", catalogue, "--dir", s.ModelsRoot);
        Assert.Equal(1, code);
        Assert.Contains("'unet/model.onnx'", stderr);
        Assert.Contains("checksum mismatch", stderr);
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));

        (code, _, stderr) = await Cli("download", "nosuch", "--catalogue", catalogue, "--dir", s.ModelsRoot);
        Assert.Equal(1, code);
        Assert.Contains("no model 'nosuch' in the catalogue; known: tiny, ae, pair", stderr);

        (code, _, stderr) = await Cli("download");
        Assert.Equal(2, code);
        Assert.Contains("usage: streamfx-host models", stderr);
    }

    [Fact]
    public async Task CtrlCInTheCliCancelsTheDownloadAndReleasesTheLockBeforeItExits()
    {
        using var s = new HubSetup();
        s.Hub.CatalogueJson = Fixtures.CatalogueJson(s.Hub.BaseUrl);
        var gate = new FileFault { Gate = new TaskCompletionSource() };
        s.Tiny.Faults["unet/model.onnx"] = gate;
        using var ctrlC = new CancellationTokenSource();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var cli = ModelsCommand.RunAsync(["download", "tiny", "--catalogue", s.Hub.BaseUrl + "/catalogue.json", "--dir", s.ModelsRoot],
            "0.1.0-test", stdout, stderr, terminal: false, ctrlC.Token);
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        ctrlC.Cancel();
        int code = await cli.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, code);
        Assert.Contains("'tiny': download cancelled; nothing was installed", stderr.ToString());
        // The download itself stopped before the command returned: its lock is gone and no folder appeared.
        Assert.False(File.Exists(HubDownloader.LockFile(s.ModelsRoot, "tiny")));
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
        gate.Gate.SetResult();
    }

    /// <summary>The published NativeAOT host (scripts/test.sh sets STREAMFX_HOST_PATH): the same CLI, as shipped.</summary>
    [PublishedHostFact]
    public async Task ThePublishedHostDownloadsAndVerifies()
    {
        using var s = new HubSetup();
        s.Hub.CatalogueJson = Fixtures.CatalogueJson(s.Hub.BaseUrl);
        string host = Environment.GetEnvironmentVariable(PublishedHostFactAttribute.Variable)!;
        Assert.True(File.Exists(host), $"{PublishedHostFactAttribute.Variable}='{host}' does not exist: build it first");

        var (code, stdout, stderr) = await Run(host, "models", "download", "pair", "--catalogue", s.Hub.BaseUrl + "/catalogue.json", "--dir", s.ModelsRoot);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains($"vae_dir={Path.Combine(s.ModelsRoot, "ae")}", stdout);
        Assert.Contains("streamfx-obs/0.1.0", s.Hub.UserAgents);
        (code, _, _) = await Run(host, "models", "verify", Path.Combine(s.ModelsRoot, "tiny"));
        Assert.Equal(0, code);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Cli(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await ModelsCommand.RunAsync(args, "0.1.0-test", stdout, stderr, terminal: false, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(string exe, params string[] args)
    {
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>Runs only where the published host exists (scripts/test.sh sets the variable to the built artefact).</summary>
public sealed class PublishedHostFactAttribute : FactAttribute
{
    public const string Variable = "STREAMFX_HOST_PATH";

    public PublishedHostFactAttribute()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
            Skip = $"{Variable} is not set (scripts/test.sh sets it to the built artefact)";
    }
}
