using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace StreamFx.ModelHub.Tests;

/// <summary>What the server does wrong for one file (all optional).</summary>
public sealed class FileFault
{
    /// <summary>Close the connection after this many body bytes, on the first request only.</summary>
    public long? DropAfterOnce { get; set; }
    public int? Status { get; set; }
    /// <summary>Send the headers, then nothing.</summary>
    public bool Stall { get; set; }
    /// <summary>Bytes appended to the served file (the list keeps the true size).</summary>
    public int ExtraBytes { get; set; }
    /// <summary>Serve without Content-Length (the body ends when the connection closes).</summary>
    public bool OmitLength { get; set; }
    /// <summary>Flip one byte at this offset in what is served.</summary>
    public long? CorruptAt { get; set; }
    /// <summary>Hold the response until this completes.</summary>
    public TaskCompletionSource? Gate { get; set; }
    public int Hits;
    /// <summary>Completed when a request for this file arrived.</summary>
    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

public sealed class FakeRepo(string commit)
{
    public string Commit { get; } = commit;
    public SortedDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, FileFault> Faults { get; } = new();
    /// <summary>Extra raw tree entries (hostile paths), listed beside the real files.</summary>
    public List<(string Path, long Size)> ExtraListed { get; } = [];

    public static FakeRepo FromFolder(string folder, string commit)
    {
        var repo = new FakeRepo(commit);
        foreach (var f in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            repo.Files[Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/')] = File.ReadAllBytes(f);
        return repo;
    }
}

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 in the Hugging Face hub's shape: <c>/api/models/{repo}/tree/{rev}?recursive=true</c>
/// lists files (LFS entries with <c>lfs.oid</c> sha256, small files with a git blob <c>oid</c>) and
/// <c>/{repo}/resolve/{rev}/{path}</c> serves them with Range support and an <c>X-Repo-Commit</c> header. Written on a
/// raw socket so a test controls exactly when a connection drops, stalls or says too much.
/// </summary>
public sealed class LoopbackHub : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    public ConcurrentDictionary<string, FakeRepo> Repos { get; } = new();
    public ConcurrentDictionary<string, long> BytesServed { get; } = new();
    public ConcurrentDictionary<string, int> Requests { get; } = new();
    public ConcurrentQueue<string> RangeHeaders { get; } = new();
    public ConcurrentBag<string> UserAgents { get; } = new();
    public string? CatalogueJson { get; set; }
    /// <summary>Files at or above this size are listed as LFS files (sha256), smaller ones by git blob id.</summary>
    public int LfsThreshold { get; set; } = 1024;

    public LoopbackHub()
    {
        _listener.Start();
        _ = AcceptLoop();
    }

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public long TotalResolveBytes => BytesServed.Where(kv => kv.Key.Contains("/resolve/")).Sum(kv => kv.Value);
    public ConcurrentDictionary<string, int> FileRequests { get; } = new();
    /// <summary>How many times a repository file was asked for (any revision, any range).</summary>
    public int ResolveRequests(string file, string repo = "test/tiny") => FileRequests.TryGetValue($"{repo}:{file}", out int n) ? n : 0;

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (target, headers) = await ReadHead(stream);
                if (target is null) return;
                Requests.AddOrUpdate(target, 1, (_, n) => n + 1);
                if (headers.TryGetValue("User-Agent", out var agent)) UserAgents.Add(agent);
                await Route(stream, client, target, headers);
            }
            catch (IOException) { }
            catch (SocketException) { }
            catch (OperationCanceledException) { }
            catch (ObjectDisposedException) { }
        }
    }

    private static async Task<(string?, Dictionary<string, string>)> ReadHead(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 16384)
        {
            if (await stream.ReadAsync(one) == 0) return (null, []);
            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r') break;
        }
        var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var l in lines.Skip(1))
        {
            int colon = l.IndexOf(':');
            if (colon > 0) headers[l[..colon].Trim()] = l[(colon + 1)..].Trim();
        }
        return (parts.Length > 1 ? parts[1] : null, headers);
    }

    private async Task Route(NetworkStream stream, TcpClient client, string target, Dictionary<string, string> headers)
    {
        string path = Uri.UnescapeDataString(target.Split('?')[0]);
        if (path == "/catalogue.json" && CatalogueJson is not null)
        {
            await Respond(stream, 200, "application/json", Encoding.UTF8.GetBytes(CatalogueJson));
            return;
        }
        var segments = path.TrimStart('/').Split('/');
        // /api/models/{owner}/{name}/tree/{rev}
        if (segments is ["api", "models", var owner, var name, "tree", _] )
        {
            if (!Repos.TryGetValue($"{owner}/{name}", out var repo)) { await Respond(stream, 404, "text/plain", "Repository not found"u8.ToArray()); return; }
            await Respond(stream, 200, "application/json", Tree(repo), repo.Commit);
            return;
        }
        // /{owner}/{name}/resolve/{rev}/{path...}
        if (segments.Length >= 5 && segments[2] == "resolve" && Repos.TryGetValue($"{segments[0]}/{segments[1]}", out var r))
        {
            string file = string.Join('/', segments[4..]);
            if (!r.Files.TryGetValue(file, out var content)) { await Respond(stream, 404, "text/plain", "Entry not found"u8.ToArray(), r.Commit); return; }
            FileRequests.AddOrUpdate($"{segments[0]}/{segments[1]}:{file}", 1, (_, n) => n + 1);
            await ServeFile(stream, client, target, r, file, content, headers);
            return;
        }
        await Respond(stream, 404, "text/plain", "not found"u8.ToArray());
    }

    private byte[] Tree(FakeRepo repo)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartArray();
            foreach (var dir in repo.Files.Keys.Where(k => k.Contains('/')).Select(k => k[..k.LastIndexOf('/')]).Distinct())
            {
                w.WriteStartObject(); w.WriteString("type", "directory"); w.WriteString("oid", new string('0', 40)); w.WriteNumber("size", 0); w.WriteString("path", dir); w.WriteEndObject();
            }
            foreach (var (p, bytes) in repo.Files)
            {
                w.WriteStartObject();
                w.WriteString("type", "file");
                w.WriteString("oid", GitBlobId(bytes));
                w.WriteNumber("size", bytes.Length);
                w.WriteString("path", p);
                if (bytes.Length >= LfsThreshold)
                {
                    w.WriteStartObject("lfs");
                    w.WriteString("oid", Convert.ToHexStringLower(SHA256.HashData(bytes)));
                    w.WriteNumber("size", bytes.Length);
                    w.WriteNumber("pointerSize", 134);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            foreach (var (p, size) in repo.ExtraListed)
            {
                w.WriteStartObject(); w.WriteString("type", "file"); w.WriteString("oid", new string('a', 40)); w.WriteNumber("size", size); w.WriteString("path", p);
                w.WriteStartObject("lfs"); w.WriteString("oid", new string('b', 64)); w.WriteNumber("size", size); w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return ms.ToArray();
    }

    public static string GitBlobId(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));

    private async Task ServeFile(NetworkStream stream, TcpClient client, string target, FakeRepo repo, string file, byte[] content,
        Dictionary<string, string> headers)
    {
        repo.Faults.TryGetValue(file, out var fault);
        int hit = fault is null ? 0 : Interlocked.Increment(ref fault.Hits);
        fault?.Reached.TrySetResult();
        if (fault?.Gate is { } gate) await gate.Task.WaitAsync(_stop.Token);
        if (fault?.Status is { } status) { await Respond(stream, status, "text/plain", Encoding.ASCII.GetBytes($"status {status}"), repo.Commit); return; }

        byte[] served = content;
        if (fault is { ExtraBytes: > 0 } || fault?.CorruptAt is not null)
        {
            served = [.. content, .. new byte[fault.ExtraBytes]];
            if (fault.CorruptAt is { } at) served[at] ^= 0x5A;
        }
        long from = 0;
        if (headers.TryGetValue("Range", out var range))
        {
            RangeHeaders.Enqueue($"{file} {range}");
            if (range.StartsWith("bytes=") && range.EndsWith('-')) from = long.Parse(range[6..^1]);
        }
        if (from > served.Length)
        {
            await Respond(stream, 416, "text/plain", [], repo.Commit);
            return;
        }
        long length = served.Length - from;
        var head = new StringBuilder();
        head.Append(from > 0 ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n");
        head.Append("Content-Type: application/octet-stream\r\nConnection: close\r\n");
        head.Append($"X-Repo-Commit: {repo.Commit}\r\n");
        if (from > 0) head.Append($"Content-Range: bytes {from}-{served.Length - 1}/{served.Length}\r\n");
        if (fault?.OmitLength != true) head.Append($"Content-Length: {length}\r\n");
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        if (fault?.Stall == true)
        {
            await stream.FlushAsync();
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        long send = length;
        bool drop = false;
        if (fault?.DropAfterOnce is { } dropAt && hit == 1)
        {
            send = Math.Min(send, dropAt - from);
            drop = true;
        }
        await stream.WriteAsync(served.AsMemory((int)from, (int)send));
        BytesServed.AddOrUpdate(target, send, (_, n) => n + send);
        await stream.FlushAsync();
        if (drop || fault?.OmitLength == true) client.Client.Shutdown(SocketShutdown.Send);
    }

    private static async Task Respond(NetworkStream stream, int status, string type, byte[] body, string? commit = null)
    {
        string reason = status switch { 200 => "OK", 404 => "Not Found", 416 => "Range Not Satisfiable", 500 => "Internal Server Error", _ => "Status" };
        string head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n" +
                      (commit is null ? "" : $"X-Repo-Commit: {commit}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
