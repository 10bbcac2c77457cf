namespace StreamFx.ModelHub;

/// <summary>
/// <c>streamfx-host models list | download ID | verify DIR [--dir D] [--catalogue PATH|URL]</c>.
/// Exit status 0 only when the model is complete and verified. The OBS plugin runs <c>download</c> as a child process
/// with <c>--progress-file</c> (the state it polls, see <see cref="ProgressFile"/>) and <c>--cancel-file</c> (the
/// download stops cleanly once that file exists).
/// </summary>
public static class ModelsCommand
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;

    public const string UsageText =
        "usage: streamfx-host models list [--catalogue PATH|URL]\n" +
        "       streamfx-host models download ID [--dir MODELS_DIR] [--catalogue PATH|URL]\n" +
        "                                        [--progress-file FILE] [--cancel-file FILE]\n" +
        "       streamfx-host models verify DIR\n" +
        "  --dir        where models go (default: OBS's plugin config folder, plugin_config/streamfx-obs/models)\n" +
        "  --catalogue  a catalogue file or URL (default: data/models/catalogue.json of the installed plugin)\n" +
        "  --progress-file  keep FILE rewritten (atomically) with the download's state as JSON\n" +
        "  --cancel-file    stop the download cleanly once FILE exists (checked every 200 ms)";

    private static readonly TimeSpan CancelPollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Where OBS's obs_module_config_path("models") points for this plugin on Linux and Windows.</summary>
    public static string DefaultModelsDir() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "obs-studio", "plugin_config", "streamfx-obs", "models");

    /// <summary>The installed plugin's catalogue: the host lives in bin/64bit, data/ is two folders up.</summary>
    public static string DefaultCatalogue() =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "data", "models", "catalogue.json"));

    public static async Task<int> RunAsync(string[] args, string version, TextWriter stdout, TextWriter stderr, bool terminal, CancellationToken ct)
    {
        string? verb = null, operand = null, dir = null, catalogueSource = null, progressPath = null, cancelPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a is "--dir" or "--catalogue" or "--progress-file" or "--cancel-file")
            {
                if (i + 1 >= args.Length) return UsageError(stderr, $"{a} needs a value");
                string value = args[++i];
                switch (a)
                {
                    case "--dir": dir = value; break;
                    case "--catalogue": catalogueSource = value; break;
                    case "--progress-file": progressPath = value; break;
                    default: cancelPath = value; break;
                }
            }
            else if (a.StartsWith("--", StringComparison.Ordinal)) return UsageError(stderr, $"unknown option {a}");
            else if (verb is null) verb = a;
            else if (operand is null) operand = a;
            else return UsageError(stderr, $"unexpected argument '{a}'");
        }

        if ((progressPath is not null || cancelPath is not null) && verb != "download")
            return UsageError(stderr, "--progress-file and --cancel-file go with download");
        using var progressFile = progressPath is not null && operand is not null ? new ProgressFile(progressPath, operand) : null;
        progressFile?.Starting();
        // The cancel file stops everything this command does, like Ctrl+C.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var cancelWatch = cancelPath is null ? null : new Timer(_ =>
        {
            try
            {
                if (File.Exists(cancelPath)) stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // A last tick racing the command's end: nothing left to cancel.
            }
        }, null, TimeSpan.Zero, CancelPollInterval);
        ct = stop.Token;

        using var http = HubDownloader.CreateHttpClient(version);
        try
        {
            switch (verb)
            {
                case "list" when operand is null:
                {
                    var catalogue = await LoadCatalogueAsync(catalogueSource ?? DefaultCatalogue(), http, ct).ConfigureAwait(false);
                    string root = dir ?? DefaultModelsDir();
                    foreach (var e in catalogue.Entries)
                    {
                        var parts = catalogue.Parts(e);
                        bool ready = parts.All(p => File.Exists(Path.Combine(root, p.Id, HubDownloader.RecordFile)));
                        string source = e.IsPair ? $"pair: model_dir {e.ModelPart}, vae_dir {e.VaePart}" : $"{e.Repo}@{e.Revision}";
                        string licence = string.Join("; ", parts.Select(p => p.Licence!).Distinct()
                            .Select(l => l.Name + (l.MustAccept ? " (must accept: " + l.Url + ")" : "")));
                        stdout.WriteLine($"{e.Id}\t{e.Kind}\t~{HubDownloader.Bytes(catalogue.ApproxBytes(e))}\t{(ready ? "ready" : "not downloaded")}\t{e.Name}\t{source}\t{licence}");
                    }
                    return Ok;
                }
                case "download" when operand is not null:
                {
                    var catalogue = await LoadCatalogueAsync(catalogueSource ?? DefaultCatalogue(), http, ct).ConfigureAwait(false);
                    var entry = catalogue.Find(operand);
                    progressFile?.SetParts(catalogue.Parts(entry).Select(p => p.Id).ToArray());
                    string root = dir ?? DefaultModelsDir();
                    foreach (var licence in catalogue.Parts(entry).Select(p => p.Licence!).Where(l => l.MustAccept).Distinct())
                        stdout.WriteLine($"licence: {licence.Name}, {licence.Url} (downloading means you accept it)");
                    var downloader = new HubDownloader(http, new DownloadOptions());
                    var downloads = new ModelDownloads(downloader, catalogue, root);
                    var printer = new ProgressPrinter(stdout, terminal, progressFile);
                    // Ctrl+C (or the cancel file) cancels the download itself, so it stops cleanly rather than being cut
                    // off at exit. Waits without ct: after a cancel the download unwinds (closes files, releases its
                    // lock) before the exit.
                    var result = await downloads.DownloadAsync(operand, printer, CancellationToken.None, ct).ConfigureAwait(false);
                    printer.Finish();
                    foreach (var part in result.Parts)
                    {
                        // Installed by now: a cancel arriving during this last check is not honoured, so the
                        // outcome reported is always true ("nothing was installed" only when nothing was).
                        var problems = await HubDownloader.VerifyAsync(part.Folder, CancellationToken.None).ConfigureAwait(false);
                        if (problems.Count > 0)
                            throw new ModelHubException(ModelHubFault.VerifyFailed, $"'{part.Id}' in {part.Folder} does not verify:\n  " + string.Join("\n  ", problems));
                        stdout.WriteLine($"{part.Id}: {(part.AlreadyPresent ? "already present and verified" : "downloaded and verified")}, commit {part.Commit}, {part.Folder}");
                    }
                    stdout.WriteLine($"model_dir={result.ModelDir}");
                    if (result.VaeDir is not null) stdout.WriteLine($"vae_dir={result.VaeDir}");
                    progressFile?.Ready(result.ModelDir, result.VaeDir);
                    return Ok;
                }
                case "verify" when operand is not null:
                {
                    var problems = await HubDownloader.VerifyAsync(operand, ct).ConfigureAwait(false);
                    if (problems.Count > 0) return Fail(stderr, $"{operand} does not verify:\n  " + string.Join("\n  ", problems));
                    var record = HubDownloader.ReadRecord(operand);
                    stdout.WriteLine($"{operand}: verified, {record.Files.Count} files, {record.Repo} at commit {record.Commit}");
                    return Ok;
                }
                default:
                    return UsageError(stderr, verb is null ? "models needs a command" : $"'{verb}' with these arguments is not a models command");
            }
        }
        catch (ModelHubException e)
        {
            progressFile?.Failed(e.Fault, e.Message);
            return Fail(stderr, e.Message);
        }
        catch (OperationCanceledException)
        {
            const string cancelled = "cancelled; nothing was installed";
            progressFile?.Failed(ModelHubFault.Cancelled, cancelled);
            return Fail(stderr, cancelled);
        }
    }

    public static async Task<Catalogue> LoadCatalogueAsync(string source, HttpClient http, CancellationToken ct)
    {
        string json;
        if (Uri.TryCreate(source, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            HubUrls.RequireSecure(uri, "catalogue");
            try
            {
                using var response = await http.GetAsync(uri, ct).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    throw new ModelHubException(ModelHubFault.NotFound, $"catalogue {uri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                json = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ModelHubException(ModelHubFault.ConnectionLost, $"catalogue {uri}: {e.Message}", e);
            }
        }
        else
        {
            if (!File.Exists(source)) throw new ModelHubException(ModelHubFault.BadCatalogue, $"catalogue {source}: no such file");
            json = await File.ReadAllTextAsync(source, ct).ConfigureAwait(false);
        }
        return Catalogue.Parse(json, source);
    }

    private static int UsageError(TextWriter stderr, string message)
    {
        stderr.WriteLine($"streamfx-host models: {message}\n{UsageText}");
        return Usage;
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine($"streamfx-host models: {message}");
        return Failed;
    }

    /// <summary>A redrawn bar on a terminal; plain lines (each finished file, every 10 %) otherwise.</summary>
    private sealed class ProgressPrinter(TextWriter output, bool terminal, ProgressFile? file) : IProgress<DownloadProgress>
    {
        private readonly object _lock = new();
        private int _lastTenth = -1;
        private string? _lastFile;
        private bool _barDrawn;

        public void Report(DownloadProgress p)
        {
            file?.Report(p);
            lock (_lock)
            {
                string rate = $"{HubDownloader.Bytes((long)p.BytesPerSecond)}/s";
                string left = p.SecondsLeft is { } s ? TimeSpan.FromSeconds(Math.Min(s, 359999)).ToString(@"h\:mm\:ss") + " left" : "";
                if (terminal)
                {
                    int filled = (int)(p.Fraction * 30);
                    output.Write($"\r{p.ModelId} [{new string('#', filled)}{new string('.', 30 - filled)}] {p.Fraction * 100,3:0}% {rate} {left} {p.File}".PadRight(120)[..120]);
                    _barDrawn = true;
                    return;
                }
                int tenth = (int)(p.Fraction * 10);
                bool fileDone = p.File is not null && p.File != _lastFile;
                if (tenth != _lastTenth || fileDone)
                {
                    output.WriteLine($"{p.ModelId}: {p.Fraction * 100:0}% ({HubDownloader.Bytes(p.BytesDone)} of {HubDownloader.Bytes(p.BytesTotal)}), {rate} {left} {p.File}".TrimEnd());
                    _lastTenth = tenth;
                }
                _lastFile = p.File;
            }
        }

        public void Finish()
        {
            lock (_lock) if (_barDrawn) { output.WriteLine(); _barDrawn = false; }
        }
    }
}
