using System.Diagnostics;

namespace StreamFx.ModelHub.Tests;

public class DownloadTests
{
    private static async Task<ModelHubException> Fails(Task task) => await Assert.ThrowsAsync<ModelHubException>(() => task);

    [Fact]
    public async Task CompleteDownloadAppearsVerifiedWithTheServedCommit()
    {
        using var s = new HubSetup();
        var result = await s.Downloads().DownloadAsync("tiny", null, CancellationToken.None);

        string dir = Path.Combine(s.ModelsRoot, "tiny");
        Assert.Equal(dir, result.ModelDir);
        Assert.Null(result.VaeDir);
        foreach (var (path, bytes) in s.Tiny.Files.Where(f => f.Key != "README.md"))
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(dir, path)));
        Assert.False(File.Exists(Path.Combine(dir, "README.md")), "a file outside the catalogue's include list was downloaded");
        Assert.Equal(Fixtures.Commit, HubDownloader.ReadRecord(dir).Commit);
        Assert.Empty(await HubDownloader.VerifyAsync(dir, CancellationToken.None));
        // Nothing left over: no staging folder, no lock, no .partial file.
        Assert.Equal(new[] { "tiny" }, Fixtures.Entries(s.ModelsRoot));
        Assert.DoesNotContain(Fixtures.FilesUnder(dir), f => f.EndsWith(".partial"));
        Assert.Contains(s.Hub.Requests.Keys, k => k.StartsWith("/api/models/test/tiny/tree/main", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PairDownloadsBothAndNamesModelAndVaeDirs()
    {
        using var s = new HubSetup();
        var result = await s.Downloads().DownloadAsync("pair", null, CancellationToken.None);
        Assert.Equal(Path.Combine(s.ModelsRoot, "tiny"), result.ModelDir);
        Assert.Equal(Path.Combine(s.ModelsRoot, "ae"), result.VaeDir);
        Assert.Equal(s.Ae.Files["vae_encoder/model.onnx"], File.ReadAllBytes(Path.Combine(result.VaeDir!, "vae_encoder", "model.onnx")));
    }

    [Fact]
    public async Task ResumesAfterTheServerDropsHalfWayFetchingEachByteOnce()
    {
        using var s = new HubSetup();
        string[] large = ["unet/model.onnx", "vae_decoder/model.onnx", "vae_encoder/model.onnx"];
        foreach (var f in large) s.Tiny.Faults[f] = new FileFault { DropAfterOnce = s.Tiny.Files[f].Length / 2 };

        await s.Downloads().DownloadAsync("tiny", null, CancellationToken.None);

        Assert.Empty(await HubDownloader.VerifyAsync(Path.Combine(s.ModelsRoot, "tiny"), CancellationToken.None));
        // Each file: the first half once, then only the rest (a Range request from where it stopped).
        Assert.Equal(s.SelectedBytes(s.Tiny, "tiny"), s.Hub.TotalResolveBytes);
        foreach (var f in large)
        {
            Assert.Equal(2, s.Hub.ResolveRequests(f));
            Assert.Contains($"{f} bytes={s.Tiny.Files[f].Length / 2}-", s.Hub.RangeHeaders);
        }
    }

    [Theory]
    [InlineData("unet/model.onnx")] // LFS file: sha256 from lfs.oid
    [InlineData("model_index.json")] // small file: git blob id
    public async Task ACorruptedByteIsACheckSumErrorNamingTheFileAndNothingIsInstalled(string file)
    {
        using var s = new HubSetup();
        s.Tiny.Faults[file] = new FileFault { CorruptAt = 10 };

        var e = await Fails(s.Downloads().DownloadAsync("tiny", null, CancellationToken.None));

        Assert.Equal(ModelHubFault.ChecksumMismatch, e.Fault);
        Assert.Contains($"'{file}'", e.Message);
        Assert.Contains("checksum mismatch", e.Message);
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
        Assert.Empty(Fixtures.FilesUnder(s.ModelsRoot));
    }

    [Theory]
    [InlineData("../evil.bin")]
    [InlineData("unet/../../evil.bin")]
    [InlineData("/tmp/sfx-evil.bin")]
    [InlineData("C:/evil.bin")]
    [InlineData("unet\\..\\..\\evil.bin")]
    [InlineData("unet/CON.onnx")]
    [InlineData("unet/model.onnx ")]
    public async Task AFileListWithAnUnsafePathIsRefusedBeforeAnythingIsFetched(string hostile)
    {
        using var s = new HubSetup();
        s.Tiny.ExtraListed.Add((hostile, 5));
        s.Tiny.Files[hostile] = "EVIL!"u8.ToArray(); // served, should anything ask for it

        var e = await Fails(s.Downloads().DownloadAsync("tiny", null, CancellationToken.None));

        Assert.Equal(ModelHubFault.UnsafePath, e.Fault);
        Assert.Contains($"'{hostile}'", e.Message);
        Assert.Equal(0, s.Hub.TotalResolveBytes);
        Assert.Equal(new[] { "models" }, Fixtures.Entries(s.Temp.Path));
        Assert.False(File.Exists("/tmp/sfx-evil.bin"));
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
    }

    [Fact]
    public async Task ASymlinkInTheStagingFolderIsNotFollowed()
    {
        using var s = new HubSetup();
        string outside = Path.Combine(s.Temp.Path, "outside");
        Directory.CreateDirectory(outside);
        string staging = HubDownloader.StagingFolder(s.ModelsRoot, "tiny");
        Directory.CreateDirectory(staging);
        Directory.CreateSymbolicLink(Path.Combine(staging, "unet"), outside);

        var e = await Fails(s.Downloads().DownloadAsync("tiny", null, CancellationToken.None));

        Assert.Equal(ModelHubFault.UnsafePath, e.Fault);
        Assert.Contains("symlink", e.Message);
        Assert.Empty(Fixtures.FilesUnder(outside));
    }

    [Theory]
    [InlineData(false)] // Content-Length says more than the list: refused before the body
    [InlineData(true)] // no Content-Length: cut off while streaming
    public async Task AFileLongerThanAnnouncedIsCutOffAndRejected(bool omitLength)
    {
        using var s = new HubSetup();
        s.Tiny.Faults["unet/model.onnx"] = new FileFault { ExtraBytes = 4096, OmitLength = omitLength };

        var e = await Fails(s.Downloads().DownloadAsync("tiny", null, CancellationToken.None));

        Assert.Equal(ModelHubFault.TooLong, e.Fault);
        Assert.Contains("'unet/model.onnx'", e.Message);
        Assert.Contains($"says {s.Tiny.Files["unet/model.onnx"].Length} bytes", e.Message);
        Assert.Empty(Fixtures.FilesUnder(s.ModelsRoot));
    }

    [Fact]
    public async Task AnUnknownRepositoryIsA404NamingTheUrl()
    {
        using var s = new HubSetup();
        s.Hub.Repos.TryRemove("test/tiny", out _);
        var e = await Fails(s.Downloads().DownloadAsync("tiny", null, CancellationToken.None));
        Assert.Equal(ModelHubFault.NotFound, e.Fault);
        Assert.Contains("/api/models/test/tiny/tree/main", e.Message);
        Assert.Contains("HTTP 404", e.Message);
    }

    [Fact]
    public async Task AListedFileThatAnswers404IsNamed()
    {
        using var s = new HubSetup();
        s.Tiny.Faults["vae_decoder/model.onnx"] = new FileFault { Status = 404 };
        var e = await Fails(s.Downloads().DownloadAsync("tiny", null, CancellationToken.None));
        Assert.Equal(ModelHubFault.NotFound, e.Fault);
        Assert.Contains("'vae_decoder/model.onnx'", e.Message);
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
    }

    [Fact]
    public async Task A500IsRetriedThenReported()
    {
        using var s = new HubSetup();
        s.Tiny.Faults["unet/model.onnx"] = new FileFault { Status = 500 };
        var e = await Fails(s.Downloads().DownloadAsync("tiny", null, CancellationToken.None));
        Assert.Equal(ModelHubFault.ServerError, e.Fault);
        Assert.Contains("HTTP 500", e.Message);
        Assert.Contains("'unet/model.onnx'", e.Message);
        Assert.Equal(Fixtures.FastOptions().AttemptsWithoutProgress, s.Hub.ResolveRequests("unet/model.onnx"));
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
    }

    [Fact]
    public async Task AStalledServerTimesOut()
    {
        using var s = new HubSetup();
        s.Tiny.Faults["unet/model.onnx"] = new FileFault { Stall = true };
        var clock = Stopwatch.StartNew();
        var e = await Fails(s.Downloads(Fixtures.FastOptions(stallSeconds: 1)).DownloadAsync("tiny", null, CancellationToken.None));
        Assert.Equal(ModelHubFault.Stalled, e.Fault);
        Assert.Contains("stalled", e.Message);
        Assert.Contains("/resolve/main/unet/model.onnx", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
    }

    [Fact]
    public async Task NotEnoughFreeSpaceIsReportedBeforeAnyByteIsFetched()
    {
        using var s = new HubSetup();
        var e = await Fails(s.Downloads(Fixtures.FastOptions(free: _ => 100_000)).DownloadAsync("tiny", null, CancellationToken.None));
        Assert.Equal(ModelHubFault.DiskFull, e.Fault);
        Assert.Contains("not enough disk space", e.Message);
        Assert.Contains("97.7 KiB free", e.Message);
        Assert.Equal(0, s.Hub.TotalResolveBytes);
    }

    [Fact]
    public async Task CancelLeavesNothingInstalledAndTheRerunSkipsVerifiedFiles()
    {
        using var s = new HubSetup();
        var gate = new FileFault { Gate = new TaskCompletionSource() };
        s.Tiny.Faults["vae_decoder/model.onnx"] = gate; // files come in order: model_index.json, unet/, vae_decoder/
        var downloads = s.Downloads();

        var running = downloads.DownloadAsync("tiny", null, CancellationToken.None);
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(downloads.IsRunning("tiny"));
        Assert.True(downloads.Cancel("tiny"));
        var e = await Fails(running);

        Assert.Equal(ModelHubFault.Cancelled, e.Fault);
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
        Assert.False(File.Exists(HubDownloader.LockFile(s.ModelsRoot, "tiny")));
        Assert.False(downloads.IsRunning("tiny"));

        gate.Gate.SetResult();
        s.Tiny.Faults.Clear();
        await downloads.DownloadAsync("tiny", null, CancellationToken.None);
        Assert.Empty(await HubDownloader.VerifyAsync(Path.Combine(s.ModelsRoot, "tiny"), CancellationToken.None));
        // Verified before the cancel: not fetched again.
        Assert.Equal(1, s.Hub.ResolveRequests("unet/model.onnx"));
        Assert.Equal(1, s.Hub.ResolveRequests("model_index.json"));
    }

    [Fact]
    public async Task ACancelTokenThatFiredBeforeTheStartStopsThePairBeforeAnyPart()
    {
        using var s = new HubSetup();
        var downloads = s.Downloads();
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        var e = await Fails(downloads.DownloadAsync("pair", null, CancellationToken.None, cancel.Token));

        Assert.Equal(ModelHubFault.Cancelled, e.Fault);
        Assert.Contains("'tiny': download cancelled before it started; nothing was installed", e.Message);
        Assert.Equal(0, downloads.Started);
        Assert.Equal(0, s.Hub.TotalResolveBytes);
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
    }

    [Fact]
    public async Task ACancelTokenStopsTheRunningPartAndThePairNeverStartsItsSecond()
    {
        using var s = new HubSetup();
        var gate = new FileFault { Gate = new TaskCompletionSource() };
        s.Tiny.Faults["unet/model.onnx"] = gate;
        var downloads = s.Downloads();
        using var cancel = new CancellationTokenSource();

        var running = downloads.DownloadAsync("pair", null, CancellationToken.None, cancel.Token);
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        cancel.Cancel();
        var e = await Fails(running);
        gate.Gate.SetResult();

        Assert.Equal(ModelHubFault.Cancelled, e.Fault);
        Assert.Equal(1, downloads.Started); // "ae" never began
        Assert.Equal(0, s.Hub.ResolveRequests("vae_decoder/model.onnx", "test/ae"));
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "tiny")));
        Assert.False(Directory.Exists(Path.Combine(s.ModelsRoot, "ae")));
    }

    [Fact]
    public async Task AnInstalledModelIsVerifiedNotFetchedAgain()
    {
        using var s = new HubSetup();
        await s.Downloads().DownloadAsync("tiny", null, CancellationToken.None);
        long served = s.Hub.TotalResolveBytes;
        var again = await s.Downloads().DownloadAsync("tiny", null, CancellationToken.None);
        Assert.True(again.Parts[0].AlreadyPresent);
        Assert.Equal(served, s.Hub.TotalResolveBytes);

        // A damaged install is fetched again and replaced in one rename.
        File.WriteAllBytes(Path.Combine(s.ModelsRoot, "tiny", "unet", "model.onnx"), [1, 2, 3]);
        var repaired = await s.Downloads().DownloadAsync("tiny", null, CancellationToken.None);
        Assert.False(repaired.Parts[0].AlreadyPresent);
        Assert.Empty(await HubDownloader.VerifyAsync(Path.Combine(s.ModelsRoot, "tiny"), CancellationToken.None));
        Assert.Equal(new[] { "tiny" }, Fixtures.Entries(s.ModelsRoot));
    }

    [Fact]
    public async Task ASecondDownloaderOfTheSameModelFolderIsRefusedWhileOneRuns()
    {
        using var s = new HubSetup();
        var gate = new FileFault { Gate = new TaskCompletionSource() };
        s.Tiny.Faults["unet/model.onnx"] = gate;
        var first = s.Downloads().DownloadAsync("tiny", null, CancellationToken.None);
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Another process (here: another coordinator, as the CLI beside OBS would be) must not mix into it.
        var e = await Fails(s.Downloads().DownloadAsync("tiny", null, CancellationToken.None));
        Assert.Equal(ModelHubFault.Busy, e.Fault);
        Assert.Contains("already being downloaded", e.Message);

        gate.Gate.SetResult();
        await first;
        Assert.Empty(await HubDownloader.VerifyAsync(Path.Combine(s.ModelsRoot, "tiny"), CancellationToken.None));
    }

    [Fact]
    public async Task TwoRequestsForOneModelShareOneDownload()
    {
        using var s = new HubSetup();
        var gate = new FileFault { Gate = new TaskCompletionSource() };
        s.Tiny.Faults["unet/model.onnx"] = gate;
        var downloads = s.Downloads();
        var seenA = new List<DownloadProgress>();
        var seenB = new List<DownloadProgress>();

        var a = downloads.DownloadAsync("tiny", new SyncProgress(seenA), CancellationToken.None);
        await gate.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var b = downloads.DownloadAsync("pair", new SyncProgress(seenB), CancellationToken.None); // needs "tiny" too
        gate.Gate.SetResult();
        var ra = await a;
        var rb = await b;

        Assert.Equal(ra.ModelDir, rb.ModelDir);
        Assert.Equal(2, downloads.Started); // tiny once (joined), ae once
        foreach (var f in s.Tiny.Files.Keys.Where(k => k != "README.md"))
            Assert.Equal(1, s.Hub.ResolveRequests(f));
        Assert.Contains(seenB, p => p.ModelId == "tiny" && p.BytesDone == p.BytesTotal);
    }

    [Fact]
    public async Task PlainHttpIsRefusedExceptToLoopback()
    {
        using var s = new HubSetup();
        var remote = new ModelDownloads(new HubDownloader(s.Http, Fixtures.FastOptions()), s.Catalogue.WithHub("http://example.invalid"), s.ModelsRoot);
        var e = await Fails(remote.DownloadAsync("tiny", null, CancellationToken.None));
        Assert.Equal(ModelHubFault.InsecureUrl, e.Fault);
        Assert.Contains("http://example.invalid", e.Message);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(List<DownloadProgress> seen) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            lock (seen) seen.Add(value);
        }
    }
}
