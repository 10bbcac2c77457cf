using System.Text.Json;

namespace StreamFx.ModelHub;

/// <summary>
/// The <c>--progress-file</c> of <c>models download</c>: a small JSON object that the OBS plugin polls from its own
/// worker thread (docs/models.md, "The panel"). Every write goes to a temporary file first and is renamed over the
/// old one, so a reader sees the previous state or the new one, never half of one.
/// <code>
/// {"format_version":1,"id":"sd-turbo-taesd","state":"downloading","part":"taesd","part_index":2,"parts":2,
///  "bytes":123,"total":456,"rate":789.0,"eta":12.5,"file":"vae_decoder/model.onnx","fault":"","error":"",
///  "model_dir":"","vae_dir":""}
/// </code>
/// state: starting, downloading, ready, failed, cancelled. eta is -1 before the rate is known.
/// </summary>
public sealed class ProgressFile : IProgress<DownloadProgress>, IDisposable
{
    public const int FormatVersion = 1;

    // Often enough for a 1 s panel refresh, rarely enough that writing the file never costs the download anything.
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(200);

    private readonly string _path;
    private readonly string _id;
    private IReadOnlyList<string> _parts;
    private readonly object _lock = new();
    private DateTime _lastWrite = DateTime.MinValue;
    private DownloadProgress? _latest;
    private bool _final;
    private bool _pending;
    private readonly Timer _flush;

    public ProgressFile(string path, string id)
    {
        _path = Path.GetFullPath(path);
        _id = id;
        _parts = [id];
        _flush = new Timer(_ => Flush());
    }

    public void Dispose() => _flush.Dispose();

    public string FilePath => _path;

    /// <summary>The repositories behind the entry (a pair has two), once the catalogue is read.</summary>
    public void SetParts(IReadOnlyList<string> parts)
    {
        lock (_lock) _parts = parts;
    }

    public void Starting() => Write("starting", null, null, null, null, force: true);

    public void Report(DownloadProgress value)
    {
        lock (_lock)
        {
            if (_final) return;
            _latest = value;
            var since = DateTime.UtcNow - _lastWrite;
            if (since < MinInterval)
            {
                // Too soon: the newest state is written when the interval is up, so a last report before a quiet
                // spell (a slow file) is never lost.
                if (!_pending) _flush.Change(MinInterval - since, Timeout.InfiniteTimeSpan);
                _pending = true;
                return;
            }
            WriteLocked("downloading", null, null, null, null);
        }
    }

    private void Flush()
    {
        lock (_lock)
        {
            if (_final || !_pending) return;
            WriteLocked("downloading", null, null, null, null);
        }
    }

    public void Ready(string modelDir, string? vaeDir) => Write("ready", null, null, modelDir, vaeDir, force: true, final: true);

    public void Failed(ModelHubFault fault, string error) =>
        Write(fault == ModelHubFault.Cancelled ? "cancelled" : "failed", fault.ToString(), error, null, null, force: true, final: true);

    private void Write(string state, string? fault, string? error, string? modelDir, string? vaeDir, bool force, bool final = false)
    {
        lock (_lock)
        {
            if (_final) return;
            if (!force && DateTime.UtcNow - _lastWrite < MinInterval) return;
            WriteLocked(state, fault, error, modelDir, vaeDir, retry: final);
            _final = final;
        }
    }

    private void WriteLocked(string state, string? fault, string? error, string? modelDir, string? vaeDir, bool retry = false)
    {
        var p = _latest;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("format_version", FormatVersion);
            w.WriteString("id", _id);
            w.WriteString("state", state);
            int index = p is null ? 0 : Math.Max(0, IndexOf(p.ModelId));
            w.WriteString("part", p?.ModelId ?? (_parts.Count > 0 ? _parts[0] : _id));
            w.WriteNumber("part_index", index + 1);
            w.WriteNumber("parts", _parts.Count);
            w.WriteNumber("bytes", p?.BytesDone ?? 0);
            w.WriteNumber("total", p?.BytesTotal ?? 0);
            w.WriteNumber("rate", Math.Round(p?.BytesPerSecond ?? 0, 1));
            w.WriteNumber("eta", p?.SecondsLeft is { } s ? Math.Round(s, 1) : -1);
            w.WriteString("file", p?.File ?? "");
            w.WriteString("fault", fault ?? "");
            w.WriteString("error", error ?? "");
            w.WriteString("model_dir", modelDir ?? "");
            w.WriteString("vae_dir", vaeDir ?? "");
            w.WriteEndObject();
        }
        string temp = _path + ".tmp";
        // A reader on Windows may hold the old file open for a moment: the final state is retried, a progress
        // write is simply skipped (the next one comes within a fraction of a second).
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                File.WriteAllBytes(temp, buffer.ToArray());
                File.Move(temp, _path, overwrite: true);
                _lastWrite = DateTime.UtcNow;
                _pending = false;
                return;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && retry && attempt < 40)
            {
                Thread.Sleep(25); // a back-off between tries, not a wait for another thread
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && !retry)
            {
                _pending = true;
                _flush.Change(MinInterval, Timeout.InfiniteTimeSpan);
                return;
            }
        }
    }

    private int IndexOf(string part)
    {
        for (int i = 0; i < _parts.Count; i++)
            if (_parts[i] == part) return i;
        return -1;
    }
}
