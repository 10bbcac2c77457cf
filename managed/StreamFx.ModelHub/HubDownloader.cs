using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace StreamFx.ModelHub;

/// <summary>A repository installed in a model folder, at the commit the hub served.</summary>
public sealed record InstalledModel(string Id, string Folder, string Commit, bool AlreadyPresent);

/// <summary>
/// Downloads one hub repository into a model folder. Nothing from the network is trusted: paths are checked,
/// sizes are enforced while streaming, every file's checksum is verified before it is renamed, and the model
/// folder appears in one rename only when every file is complete.
/// </summary>
public sealed class HubDownloader(HttpClient http, DownloadOptions options)
{
    /// <summary>Written beside the files: the repository, the commit the hub served and every file's checksum.</summary>
    public const string RecordFile = "streamfx-download.json";

    private const int BufferSize = 1 << 20;

    public static HttpClient CreateHttpClient(string version)
    {
        // SocketsHttpHandler takes proxies from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) by default.
        // Redirects are followed (LFS files are served from a CDN); an https -> http redirect is never followed.
        var handler = new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 5, ConnectTimeout = TimeSpan.FromSeconds(30) };
        var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("streamfx-obs", version));
        return client;
    }

    public static string StagingFolder(string modelsRoot, string id) => Path.Combine(modelsRoot, $".{id}.partial");
    public static string LockFile(string modelsRoot, string id) => Path.Combine(modelsRoot, $".{id}.lock");

    public async Task<InstalledModel> DownloadAsync(string hub, CatalogueEntry entry, string modelsRoot,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        if (entry.IsPair || entry.Repo is null) throw new ArgumentException($"'{entry.Id}' is a pair; download its parts", nameof(entry));
        HubUrls.RequireSecure(new Uri(hub), "hub");
        Directory.CreateDirectory(modelsRoot);
        string target = Path.Combine(modelsRoot, entry.Id);
        string staging = StagingFolder(modelsRoot, entry.Id);

        // One download per model folder across processes (the CLI next to OBS): the second is refused, not mixed in.
        using var lockHandle = TakeLock(modelsRoot, entry.Id);

        if (File.Exists(Path.Combine(target, RecordFile)) && (await VerifyAsync(target, ct).ConfigureAwait(false)).Count == 0)
        {
            string commit = ReadRecord(target).Commit;
            return new InstalledModel(entry.Id, target, commit, AlreadyPresent: true);
        }

        var files = await ListFilesAsync(hub, entry, ct).ConfigureAwait(false);
        if (files.Count == 0)
            throw new ModelHubException(ModelHubFault.NotFound,
                $"{HubUrls.Tree(hub, entry.Repo, entry.Revision)} lists no file matching {string.Join(", ", entry.Include)}");
        string listedBy = HubUrls.Tree(hub, entry.Repo, entry.Revision).ToString();
        Directory.CreateDirectory(staging);
        var paths = files.Select(f => RepoPaths.Resolve(staging, f.Path, listedBy)).ToArray();

        long total = files.Sum(f => f.Size);
        long present = 0;
        for (int i = 0; i < files.Count; i++)
        {
            if (File.Exists(paths[i])) present += Math.Min(new FileInfo(paths[i]).Length, files[i].Size);
            else if (File.Exists(paths[i] + ".partial")) present += Math.Min(new FileInfo(paths[i] + ".partial").Length, files[i].Size);
        }
        long needed = total - present + options.Reserve;
        long free = options.AvailableBytes(staging);
        if (free < needed)
            throw new ModelHubException(ModelHubFault.DiskFull,
                $"not enough disk space in {modelsRoot}: '{entry.Id}' needs {Bytes(needed)} (with {Bytes(options.Reserve)} kept free), {Bytes(free)} free");

        var run = new RunState(entry.Id, total, present, progress);
        string? commitServed = null;
        try
        {
            for (int i = 0; i < files.Count; i++)
            {
                ct.ThrowIfCancellationRequested();
                string? commit = await FetchFileAsync(hub, entry, files[i], paths[i], run, ct).ConfigureAwait(false);
                if (commit is not null)
                {
                    if (commitServed is not null && commit != commitServed)
                        throw new ModelHubException(ModelHubFault.RevisionChanged,
                            $"{entry.Repo}: the hub served commit {commitServed} and then {commit} for '{files[i].Path}' during one download; run it again");
                    commitServed = commit;
                }
            }
        }
        catch (ModelHubException e) when (e.Fault is ModelHubFault.ChecksumMismatch or ModelHubFault.TooLong or ModelHubFault.UnsafePath or ModelHubFault.RevisionChanged)
        {
            // The source sent something it should not have: start clean next time rather than trust what it sent before.
            TryDeleteFolder(staging);
            throw;
        }

        WriteRecord(staging, hub, entry, commitServed, files);
        InstallByRename(staging, target);
        run.Report(null, force: true);
        return new InstalledModel(entry.Id, target, commitServed ?? "unknown", AlreadyPresent: false);
    }

    private static FileStream TakeLock(string modelsRoot, string id)
    {
        string path = LockFile(modelsRoot, id);
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix and a share lock on Windows.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (IOException e)
        {
            throw new ModelHubException(ModelHubFault.Busy, $"'{id}' is already being downloaded into {modelsRoot} (lock {path} is held)", e);
        }
    }

    public async Task<List<RepoFile>> ListFilesAsync(string hub, CatalogueEntry entry, CancellationToken ct)
    {
        var all = new List<RepoFile>();
        Uri? page = HubUrls.Tree(hub, entry.Repo!, entry.Revision);
        for (int pages = 0; page is not null; pages++)
        {
            if (pages > 1000) throw new ModelHubException(ModelHubFault.ServerError, $"{page}: more than 1000 pages of file list");
            HubUrls.RequireSecure(page, "file list");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.StallTimeout);
            string json;
            Uri? next;
            try
            {
                using var response = await http.GetAsync(page, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                HubUrls.RequireSecure(response.RequestMessage?.RequestUri ?? page, "file list (after redirect)");
                ThrowForStatus(response, page.ToString(), "file list");
                json = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                next = NextPage(response, page);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new ModelHubException(ModelHubFault.Stalled, $"{page}: no answer within {options.StallTimeout.TotalSeconds:0.#} s");
            }
            catch (HttpRequestException e)
            {
                throw new ModelHubException(ModelHubFault.ConnectionLost, $"{page}: {e.Message}", e);
            }
            // Every listed path is checked, selected or not: a list naming one hostile path is not trusted for the rest.
            var listed = RepoFile.ParseTreePage(json, page.ToString());
            foreach (var f in listed)
            {
                if (RepoPaths.Problem(f.Path) is { } why)
                    throw new ModelHubException(ModelHubFault.UnsafePath, $"{page} lists '{f.Path}': refused, it has {why}");
            }
            all.AddRange(listed.Where(f => entry.Includes(f.Path)));
            page = next;
        }
        return all;
    }

    // The tree API pages with an RFC 8288 Link header: <url>; rel="next".
    private static Uri? NextPage(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (string link in links.SelectMany(l => l.Split(',')))
        {
            if (!link.Contains("rel=\"next\"", StringComparison.Ordinal)) continue;
            int open = link.IndexOf('<'), close = link.IndexOf('>');
            if (open >= 0 && close > open && Uri.TryCreate(current, link[(open + 1)..close], out var next)) return next;
        }
        return null;
    }

    /// <summary>Fetches one file into place (resuming a .partial), verified; returns the commit the hub named, if any.</summary>
    private async Task<string?> FetchFileAsync(string hub, CatalogueEntry entry, RepoFile file, string path, RunState run, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string partial = path + ".partial";
        if (File.Exists(path))
        {
            // A rerun: keep a file that was verified before, refetch one that no longer matches.
            if (new FileInfo(path).Length == file.Size && await ChecksumMatchesAsync(path, file, ct).ConfigureAwait(false)) return null;
            run.Done -= Math.Min(new FileInfo(path).Length, file.Size);
            File.Delete(path);
        }

        Uri url = HubUrls.Resolve(hub, entry.Repo!, entry.Revision, file.Path);
        string? commit = null;
        int fruitless = 0;
        ModelHubException? last = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            if (have > file.Size)
            {
                run.Done -= file.Size;
                File.Delete(partial);
                have = 0;
            }
            if (have == file.Size) break;
            if (fruitless >= options.AttemptsWithoutProgress) throw last!;

            long before = have;
            try
            {
                commit = await FetchRangeAsync(url, file, partial, have, run, ct).ConfigureAwait(false) ?? commit;
            }
            catch (ModelHubException e) when (e.Fault is ModelHubFault.Stalled or ModelHubFault.ConnectionLost or ModelHubFault.ServerError)
            {
                last = e;
            }
            long after = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            fruitless = after > before ? 0 : fruitless + 1;
            if (after < file.Size && last is null)
                last = new ModelHubException(ModelHubFault.ConnectionLost, $"{url}: the connection closed after {Bytes(after)} of {Bytes(file.Size)}");
        }

        if (!await ChecksumMatchesAsync(partial, file, ct).ConfigureAwait(false))
        {
            string found = await ComputeChecksumAsync(partial, file, ct).ConfigureAwait(false);
            File.Delete(partial);
            throw new ModelHubException(ModelHubFault.ChecksumMismatch,
                $"'{file.Path}' from {url}: checksum mismatch, expected {file.Checksum}, found {found}; nothing was installed");
        }
        File.Move(partial, path, overwrite: true);
        run.Report(file.Path, force: true);
        return commit;
    }

    private async Task<string?> FetchRangeAsync(Uri url, RepoFile file, string partial, long have, RunState run, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(options.StallTimeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
            HubUrls.RequireSecure(response.RequestMessage?.RequestUri ?? url, $"'{file.Path}' (after redirect)");
            string? commit = response.Headers.TryGetValues("X-Repo-Commit", out var c) ? c.FirstOrDefault() : null;
            long offset;
            if (response.StatusCode == HttpStatusCode.PartialContent && have > 0)
            {
                if (response.Content.Headers.ContentRange is not { From: { } from } || from != have)
                    throw new ModelHubException(ModelHubFault.ServerError,
                        $"{url}: asked for bytes from {have}, the server answered Content-Range {response.Content.Headers.ContentRange}");
                offset = have;
            }
            else if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The partial file does not fit what the server has: start it again.
                run.Done -= have;
                File.Delete(partial);
                throw new ModelHubException(ModelHubFault.ServerError, $"{url}: range from {have} not satisfiable; restarting the file");
            }
            else
            {
                ThrowForStatus(response, url.ToString(), $"'{file.Path}'");
                offset = 0; // A plain 200 is the whole file, whatever we asked for.
                run.Done -= have;
            }
            long? length = response.Content.Headers.ContentLength;
            if (length is { } announced && offset + announced > file.Size)
            {
                run.Done -= offset;
                File.Delete(partial);
                throw TooLong(file, url, offset + announced);
            }

            await using var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
            await using var output = new FileStream(partial, offset == 0 ? FileMode.Create : FileMode.Append, FileAccess.Write, FileShare.None, 1);
            byte[] buffer = run.Buffer;
            long written = offset;
            while (true)
            {
                stall.CancelAfter(options.StallTimeout);
                int n = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
                if (n == 0) break;
                if (written + n > file.Size)
                {
                    // Cut off at the announced size and reject: a longer file is not the one the list named.
                    output.Close();
                    run.Done -= written;
                    File.Delete(partial);
                    throw TooLong(file, url, written + n);
                }
                try
                {
                    await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
                catch (IOException e) when (IsDiskFull(e))
                {
                    throw new ModelHubException(ModelHubFault.DiskFull, $"disk full while writing {partial}: {e.Message}", e);
                }
                written += n;
                run.Done += n;
                run.Report(file.Path, force: false);
            }
            return commit;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ModelHubException(ModelHubFault.Stalled, $"{url}: no data for {options.StallTimeout.TotalSeconds:0.#} s (stalled server)");
        }
        catch (HttpRequestException e)
        {
            throw new ModelHubException(ModelHubFault.ConnectionLost, $"{url}: {e.Message}", e);
        }
        catch (IOException e) when (!IsDiskFull(e) && e is not FileNotFoundException)
        {
            // A connection dropped mid-body surfaces as an IOException from the response stream.
            throw new ModelHubException(ModelHubFault.ConnectionLost, $"{url}: connection lost ({e.Message})", e);
        }
    }

    private static ModelHubException TooLong(RepoFile file, Uri url, long atLeast) =>
        new(ModelHubFault.TooLong,
            $"'{file.Path}' from {url}: longer than announced, the file list says {file.Size} bytes, the server sent at least {atLeast}; refused");

    private static void ThrowForStatus(HttpResponseMessage response, string url, string what)
    {
        int status = (int)response.StatusCode;
        if (status is >= 200 and < 300) return;
        if (status is 401 or 403 or 404)
            throw new ModelHubException(ModelHubFault.NotFound,
                $"{what}: {url} answered HTTP {status} {response.ReasonPhrase} (the repository, revision or file does not exist or is gated)");
        throw new ModelHubException(ModelHubFault.ServerError, $"{what}: {url} answered HTTP {status} {response.ReasonPhrase}");
    }

    private static bool IsDiskFull(IOException e)
    {
        int code = e.HResult & 0xFFFF;
        return code is 28 /* ENOSPC */ or 122 /* EDQUOT */ or 112 /* ERROR_DISK_FULL */ or 39 /* ERROR_HANDLE_DISK_FULL */;
    }

    private static async Task<bool> ChecksumMatchesAsync(string path, RepoFile file, CancellationToken ct) =>
        await ComputeChecksumAsync(path, file, ct).ConfigureAwait(false) == file.Checksum;

    /// <summary>The file's checksum in the form the list gave: sha256 for LFS files, the git blob id for the others.</summary>
    public static async Task<string> ComputeChecksumAsync(string path, RepoFile file, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        if (file.Sha256 is not null)
            return "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
        byte[] buffer = new byte[64 << 10];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0) sha1.AppendData(buffer, 0, n);
        return "git-blob:" + Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    private static void InstallByRename(string staging, string target)
    {
        string? old = null;
        if (Directory.Exists(target))
        {
            // An earlier copy that failed verification: move it aside so the new one still appears in one rename.
            old = target + ".old-" + Guid.NewGuid().ToString("N")[..8];
            Directory.Move(target, old);
        }
        Directory.Move(staging, target);
        if (old is not null) TryDeleteFolder(old);
    }

    internal static void TryDeleteFolder(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void WriteRecord(string folder, string hub, CatalogueEntry entry, string? commit, IReadOnlyList<RepoFile> files)
    {
        using var stream = new FileStream(Path.Combine(folder, RecordFile), FileMode.Create, FileAccess.Write);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteNumber("format_version", 1);
        w.WriteString("id", entry.Id);
        w.WriteString("hub", hub);
        w.WriteString("repo", entry.Repo);
        w.WriteString("revision", entry.Revision);
        w.WriteString("commit", commit ?? "unknown");
        w.WriteString("downloaded_utc", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"));
        w.WriteStartArray("files");
        foreach (var f in files)
        {
            w.WriteStartObject();
            w.WriteString("path", f.Path);
            w.WriteNumber("size", f.Size);
            w.WriteString("checksum", f.Checksum);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public sealed record Record(string Id, string Repo, string Commit, IReadOnlyList<(string Path, long Size, string Checksum)> Files);

    public static Record ReadRecord(string folder)
    {
        string path = Path.Combine(folder, RecordFile);
        if (!File.Exists(path))
            throw new ModelHubException(ModelHubFault.VerifyFailed, $"{path}: missing (the folder was not made by the downloader, or is incomplete)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var r = doc.RootElement;
            var files = r.GetProperty("files").EnumerateArray()
                .Select(f => (f.GetProperty("path").GetString()!, f.GetProperty("size").GetInt64(), f.GetProperty("checksum").GetString()!))
                .ToList();
            return new Record(r.GetProperty("id").GetString()!, r.GetProperty("repo").GetString()!, r.GetProperty("commit").GetString()!, files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ModelHubException(ModelHubFault.VerifyFailed, $"{path}: unreadable ({e.Message})", e);
        }
    }

    /// <summary>Re-checks every file of an installed folder against its record; returns one line per problem (none = verified).</summary>
    public static async Task<List<string>> VerifyAsync(string folder, CancellationToken ct)
    {
        var problems = new List<string>();
        Record record;
        try { record = ReadRecord(folder); }
        catch (ModelHubException e) { return [e.Message]; }
        foreach (var (rel, size, checksum) in record.Files)
        {
            string path;
            try { path = RepoPaths.Resolve(folder, rel, Path.Combine(folder, RecordFile)); }
            catch (ModelHubException e) { problems.Add(e.Message); continue; }
            if (!File.Exists(path)) { problems.Add($"{path}: missing"); continue; }
            long length = new FileInfo(path).Length;
            if (length != size) { problems.Add($"{path}: size expected {size}, found {length}"); continue; }
            var probe = checksum.StartsWith("sha256:", StringComparison.Ordinal)
                ? new RepoFile(rel, size, checksum["sha256:".Length..], null)
                : new RepoFile(rel, size, null, checksum["git-blob:".Length..]);
            string found = await ComputeChecksumAsync(path, probe, ct).ConfigureAwait(false);
            if (found != checksum) problems.Add($"{path}: checksum expected {checksum}, found {found}");
        }
        return problems;
    }

    public static string Bytes(long n) => n switch
    {
        >= 1L << 30 => $"{n / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{n / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{n / 1024.0:0.0} KiB",
        _ => $"{n} B",
    };

    /// <summary>Counters of one download and its throttled progress reports.</summary>
    private sealed class RunState(string id, long total, long present, IProgress<DownloadProgress>? progress)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly long _present = present;
        private long _lastReportMs = -1;
        public byte[] Buffer { get; } = new byte[BufferSize];
        public long Done { get; set; } = present;

        public void Report(string? file, bool force)
        {
            if (progress is null) return;
            long now = _clock.ElapsedMilliseconds;
            if (!force && _lastReportMs >= 0 && now - _lastReportMs < 100) return;
            _lastReportMs = now;
            // No rate for the first half second: a tiny first file would promise hours left.
            double seconds = _clock.Elapsed.TotalSeconds;
            double rate = seconds < 0.5 ? 0 : Math.Max(0, Done - _present) / seconds;
            progress.Report(new DownloadProgress(id, file, Done, total, rate));
        }
    }
}
