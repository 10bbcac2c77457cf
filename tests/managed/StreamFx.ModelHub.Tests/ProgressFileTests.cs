using System.Text.Json;

namespace StreamFx.ModelHub.Tests;

/// <summary>
/// <c>models download --progress-file F --cancel-file C</c>: what the OBS plugin's worker polls while the CLI runs as
/// its child process, and how the plugin stops it.
/// </summary>
public class ProgressFileTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TheProgressFileFollowsThePairDownloadToReadyWithBothFolders()
    {
        using var s = new HubSetup();
        s.Hub.CatalogueJson = Fixtures.CatalogueJson(s.Hub.BaseUrl);
        var gate = new FileFault { Gate = new TaskCompletionSource() };
        s.Tiny.Faults["unet/model.onnx"] = gate; // model_index.json comes first, then this one waits
        string progress = Path.Combine(s.Temp.Path, "status.json");

        var cli = Cli(s, "pair", progress, cancel: null);
        await gate.Reached.Task.WaitAsync(Deadline);
        var during = await WaitFor(progress, j => Str(j, "state") == "downloading" && Num(j, "bytes") > 0);
        Assert.Equal(("pair", "tiny", 1, 2), (Str(during, "id"), Str(during, "part"), (int)Num(during, "part_index"), (int)Num(during, "parts")));
        Assert.Equal(s.SelectedBytes(s.Tiny, "tiny"), (long)Num(during, "total"));
        Assert.True(Num(during, "bytes") < Num(during, "total"));
        Assert.Equal("model_index.json", Str(during, "file"));

        gate.Gate.SetResult();
        var (code, _, stderr) = await cli.WaitAsync(Deadline);
        Assert.True(code == 0, stderr);
        var done = Read(progress)!.Value;
        Assert.Equal("ready", Str(done, "state"));
        Assert.Equal(Path.Combine(s.ModelsRoot, "tiny"), Str(done, "model_dir"));
        Assert.Equal(Path.Combine(s.ModelsRoot, "ae"), Str(done, "vae_dir"));
        Assert.Equal(("ae", 2), (Str(done, "part"), (int)Num(done, "part_index")));
        Assert.Equal(Num(done, "total"), Num(done, "bytes"));
        Assert.Equal("", Str(done, "error"));
        Assert.False(File.Exists(progress + ".tmp"));
    }

    [Fact]
    public async Task TheCancelFileStopsTheDownloadCleanlyAndTheStateSaysCancelled()
    {
        using var s = new HubSetup();
        s.Hub.CatalogueJson = Fixtures.CatalogueJson(s.Hub.BaseUrl);
        var gate = new FileFault { Gate = new TaskCompletionSource() };
        s.Tiny.Faults["unet/model.onnx"] = gate;
        string progress = Path.Combine(s.Temp.Path, "status.json");
        string cancel = Path.Combine(s.Temp.Path, "cancel");

        var cli = Cli(s, "tiny", progress, cancel);
        await gate.Reached.Task.WaitAsync(Deadline);
        Assert.False(cli.IsCompleted);
        File.WriteAllText(cancel, "");
        var (code, _, stderr) = await cli.WaitAsync(Deadline);

        Assert.Equal(1, code);
        Assert.Contains("'tiny': download cancelled; nothing was installed", stderr);
        var state = Read(progress)!.Value;
        Assert.Equal(("cancelled", "Cancelled"), (Str(state, "state"), Str(state, "fault")));
        Assert.Contains("download cancelled", Str(state, "error"));
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
        Assert.False(File.Exists(HubDownloader.LockFile(s.ModelsRoot, "tiny")));
        gate.Gate.SetResult();
    }

    [Fact]
    public async Task ACancelFileThatIsThereAtTheStartInstallsNothing()
    {
        using var s = new HubSetup();
        s.Hub.CatalogueJson = Fixtures.CatalogueJson(s.Hub.BaseUrl);
        string progress = Path.Combine(s.Temp.Path, "status.json");
        string cancel = Path.Combine(s.Temp.Path, "cancel");
        File.WriteAllText(cancel, "");

        var (code, _, stderr) = await Cli(s, "pair", progress, cancel).WaitAsync(Deadline);

        Assert.Equal(1, code);
        Assert.Contains("nothing was installed", stderr);
        Assert.Equal("cancelled", Str(Read(progress)!.Value, "state"));
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "ae")));
    }

    [Fact]
    public async Task AFailedDownloadLeavesTheNamedReasonInTheProgressFile()
    {
        using var s = new HubSetup();
        s.Hub.CatalogueJson = Fixtures.CatalogueJson(s.Hub.BaseUrl);
        s.Ae.Faults["vae_decoder/model.onnx"] = new FileFault { CorruptAt = 10 };
        string progress = Path.Combine(s.Temp.Path, "status.json");

        var (code, _, _) = await Cli(s, "ae", progress, cancel: null).WaitAsync(Deadline);

        Assert.Equal(1, code);
        var state = Read(progress)!.Value;
        Assert.Equal(("failed", "ChecksumMismatch"), (Str(state, "state"), Str(state, "fault")));
        Assert.Contains("'vae_decoder/model.onnx'", Str(state, "error"));
        Assert.Contains("checksum mismatch", Str(state, "error"));
        Assert.Equal("", Str(state, "model_dir"));
    }

    [Fact]
    public async Task ProgressAndCancelFilesAreRefusedOutsideDownload()
    {
        var stderr = new StringWriter();
        int code = await ModelsCommand.RunAsync(["list", "--progress-file", "x.json"], "0.1.0-test", new StringWriter(), stderr, false, CancellationToken.None);
        Assert.Equal(ModelsCommand.Usage, code);
        Assert.Contains("--progress-file and --cancel-file go with download", stderr.ToString());
    }

    private static Task<(int Code, string Stdout, string Stderr)> Cli(HubSetup s, string id, string progress, string? cancel)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        List<string> args = ["download", id, "--catalogue", s.Hub.BaseUrl + "/catalogue.json", "--dir", s.ModelsRoot, "--progress-file", progress];
        if (cancel is not null) args.AddRange(["--cancel-file", cancel]);
        return Task.Run(async () =>
        {
            int code = await ModelsCommand.RunAsync([.. args], "0.1.0-test", stdout, stderr, terminal: false, CancellationToken.None);
            return (code, stdout.ToString(), stderr.ToString());
        });
    }

    private static JsonElement? Read(string path)
    {
        if (!File.Exists(path)) return null;
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.Clone();
    }

    /// <summary>Re-reads the file until the predicate holds (the CLI rewrites it as bytes arrive), up to the deadline.</summary>
    private static async Task<JsonElement> WaitFor(string path, Func<JsonElement, bool> predicate)
    {
        var until = DateTime.UtcNow + Deadline;
        while (true)
        {
            var j = Read(path);
            if (j is { } e && predicate(e)) return e;
            Assert.True(DateTime.UtcNow < until, $"{path} never met the condition; last: {j}");
            await Task.Delay(20);
        }
    }

    private static string Str(JsonElement j, string name) => j.GetProperty(name).GetString()!;
    private static double Num(JsonElement j, string name) => j.GetProperty(name).GetDouble();
}
