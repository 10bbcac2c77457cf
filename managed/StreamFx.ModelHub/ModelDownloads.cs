namespace StreamFx.ModelHub;

/// <summary>Where a catalogue entry was installed: model_dir, and vae_dir for a pair.</summary>
public sealed record DownloadResult(string Id, string ModelDir, string? VaeDir, IReadOnlyList<InstalledModel> Parts);

/// <summary>
/// Runs downloads for one models folder, one per model at a time: a request for a model that is already coming
/// joins that download, and every caller gets the same result. Cancel stops the shared download for all of them.
/// </summary>
public sealed class ModelDownloads(HubDownloader downloader, Catalogue catalogue, string modelsRoot)
{
    private sealed class Running(CancellationTokenSource cancel)
    {
        public CancellationTokenSource Cancel { get; } = cancel;
        public List<IProgress<DownloadProgress>> Listeners { get; } = [];
        public DownloadProgress? Latest { get; set; }
        public Task<InstalledModel> Task { get; set; } = null!;
    }

    private readonly Dictionary<string, Running> _running = new();
    private readonly object _lock = new();
    private int _started;

    public string ModelsRoot => modelsRoot;

    /// <summary>How many repository downloads were actually started (joins do not count).</summary>
    public int Started => Volatile.Read(ref _started);

    public bool IsRunning(string id)
    {
        lock (_lock) return catalogue.Parts(catalogue.Find(id)).Any(p => _running.ContainsKey(p.Id));
    }

    /// <summary>The latest progress of a running part download, for status lines that poll.</summary>
    public DownloadProgress? Progress(string partId)
    {
        lock (_lock) return _running.TryGetValue(partId, out var r) ? r.Latest : null;
    }

    /// <summary>
    /// Downloads an entry (both parts of a pair); <paramref name="waitToken"/> only stops this caller's wait.
    /// <paramref name="cancelToken"/> cancels the download itself (as <see cref="Cancel"/> does), also when it fires
    /// before a part has started or between the two parts of a pair, where a later Cancel would find nothing running.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(string id, IProgress<DownloadProgress>? progress, CancellationToken waitToken,
        CancellationToken cancelToken = default)
    {
        var entry = catalogue.Find(id);
        var installed = new List<InstalledModel>();
        foreach (var part in catalogue.Parts(entry))
        {
            if (cancelToken.IsCancellationRequested)
                throw new ModelHubException(ModelHubFault.Cancelled, $"'{part.Id}': download cancelled before it started; nothing was installed");
            var running = Join(part, progress);
            // Registered after the part is running: a token already cancelled cancels it at once.
            using var cancelPart = cancelToken.Register(() => CancelPart(part.Id));
            installed.Add(await running.WaitAsync(waitToken).ConfigureAwait(false));
        }
        return new DownloadResult(entry.Id, installed[0].Folder, entry.IsPair ? installed[1].Folder : null, installed);
    }

    private void CancelPart(string partId)
    {
        lock (_lock)
            if (_running.TryGetValue(partId, out var r)) r.Cancel.Cancel();
    }

    /// <summary>Cancels the running download(s) of an entry; returns whether one was running.</summary>
    public bool Cancel(string id)
    {
        bool any = false;
        lock (_lock)
        {
            foreach (var part in catalogue.Parts(catalogue.Find(id)))
            {
                if (_running.TryGetValue(part.Id, out var r)) { r.Cancel.Cancel(); any = true; }
            }
        }
        return any;
    }

    private Task<InstalledModel> Join(CatalogueEntry part, IProgress<DownloadProgress>? progress)
    {
        Running run;
        lock (_lock)
        {
            if (_running.TryGetValue(part.Id, out var existing))
            {
                if (progress is not null) existing.Listeners.Add(progress);
                return existing.Task;
            }
            run = new Running(new CancellationTokenSource());
            if (progress is not null) run.Listeners.Add(progress);
            _running[part.Id] = run;
            Interlocked.Increment(ref _started);
            // Started under the lock so a joiner never sees the entry without its task.
            run.Task = Start(part, run);
        }
        return run.Task;
    }

    private Task<InstalledModel> Start(CatalogueEntry part, Running run)
    {
        var fanOut = new FanOutProgress(this, run);
        return Task.Run(async () =>
        {
            try
            {
                return await downloader.DownloadAsync(catalogue.HubBaseUrl, part, modelsRoot, fanOut, run.Cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (run.Cancel.IsCancellationRequested)
            {
                throw new ModelHubException(ModelHubFault.Cancelled,
                    $"'{part.Id}': download cancelled; nothing was installed, verified files stay in {HubDownloader.StagingFolder(modelsRoot, part.Id)} for the next try", e);
            }
            finally
            {
                lock (_lock) _running.Remove(part.Id);
                run.Cancel.Dispose();
            }
        });
    }

    private sealed class FanOutProgress(ModelDownloads owner, Running run) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            IProgress<DownloadProgress>[] listeners;
            lock (owner._lock)
            {
                run.Latest = value;
                listeners = [.. run.Listeners];
            }
            foreach (var l in listeners) l.Report(value);
        }
    }
}
