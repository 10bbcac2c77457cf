using System.Diagnostics;
using StreamFx.Bridge;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

// Status reporting: the STATUS object from the slot state, the speed note, and when STATUS and queued LOGs are sent.
public sealed partial class HostSession
{
    /// <summary>Longest gap between STATUS messages while a model loads.</summary>
    public static readonly TimeSpan LoadingStatusPeriod = TimeSpan.FromSeconds(1);

    /// <summary>STATUS state while a model is wanted but not loaded because the source is hidden.</summary>
    public const string StateUnloadedWhileHidden = "unloaded while hidden";

    /// <summary>STATUS state while the load runs its warm-up frame.</summary>
    public const string StateWarmingUp = "warming up";

    /// <summary>From this many seconds per frame on, STATUS "note" says how slow the model is.</summary>
    public const double SlowFrameSeconds = 0.5;

    /// <summary>From this many seconds per frame on, the note also suggests a GPU provider or a smaller resolution.</summary>
    public const double VerySlowFrameSeconds = 2.0;

    // The last CONFIGURE's error (bad JSON, or an effect refusing the settings); cleared by the next valid one.
    private string? _settingsError;
    private string? _lastStatusJson;
    private long _lastStatusTimestamp;
    private bool _slowAdviceLogged;

    /// <summary>The STATUS object for the session as it stands.</summary>
    public StatusReport BuildStatus()
    {
        EffectLoad effect = _slot.Current;
        EffectReport report = effect.Effect.Report;
        bool processing = FramesProcessed > 0 && effect.Effect is not IdentityEffect;
        string state;
        string? model = effect.Model;
        string? error = _settingsError ?? _frameError;
        ModelLoad? live = _slot.LiveLoad;
        switch (_slot.State)
        {
            case SlotState.Loading:
                state = live!.Progress?.StartsWith(EffectFactory.WarmingUpProgress, StringComparison.Ordinal) == true ? StateWarmingUp : EffectLoad.StateLoading;
                model = live.Model;
                break;
            case SlotState.Cancelling { Next: WantedModel next }:
                // A superseded load still ending; the wanted model starts after it.
                state = EffectLoad.StateLoading;
                model = EffectLoad.ModelName(next.Key.ModelDir);
                break;
            case SlotState.WaitingToBeShown { Next: var next }:
                state = StateUnloadedWhileHidden;
                model = EffectLoad.ModelName(next.Key.ModelDir);
                break;
            case { Failure: LoadFailure failure }:
                state = EffectLoad.StateError;
                model = failure.Model;
                error ??= failure.Error + (effect.Effect is IdentityEffect ? "; frames pass through" : $"; still running '{effect.Model}'");
                break;
            default:
                state = error is not null ? EffectLoad.StateError : effect.State;
                break;
        }

        return new StatusReport(state, report.Provider, model, FramesProcessed > 0 ? _statistics.Fps : null, FramesProcessed > 0 ? _statistics.LatencyMs : null, error)
        {
            ProvidersTried = report.ProvidersTried,
            Stages = report.Stages,
            Skipped = report.Skipped,
            ElapsedSeconds = live?.ElapsedSeconds,
            Progress = live?.Progress,
            Note = SpeedNote(processing, report),
            ModelInfo = report.ModelInfo,
        };
    }

    /// <summary>
    /// "4.2 s per frame on cpu" once a model takes <see cref="SlowFrameSeconds"/> or more per frame (the
    /// warm-up frame's time until live frames are measured), with a suggestion past
    /// <see cref="VerySlowFrameSeconds"/>; null for a model fast enough.
    /// </summary>
    private string? SpeedNote(bool processing, EffectReport report)
    {
        double? seconds = processing ? _effectFrameSeconds ?? report.WarmUpSeconds : report.WarmUpSeconds;
        return seconds is double s ? DescribeSpeed(s, report.Provider) : null;
    }

    /// <summary>The STATUS note for a model taking <paramref name="seconds"/> per frame on <paramref name="provider"/>.</summary>
    public static string? DescribeSpeed(double seconds, string provider)
    {
        if (seconds < SlowFrameSeconds)
        {
            return null;
        }

        string speed = $"{seconds:0.0} s per frame on {provider}";
        if (seconds < VerySlowFrameSeconds)
        {
            return speed;
        }

        string faster = provider == EffectReport.CpuProvider
            ? "choose a GPU execution provider (tensorrt, cuda or directml) or a smaller resolution"
            : "choose a smaller resolution or fewer steps";
        return $"{speed}: frames show late (over {VerySlowFrameSeconds:0} s each); {faster}";
    }

    private async Task SendStatusAsync(bool force, CancellationToken cancellationToken)
    {
        while (_shimLogs.TryDequeue(out (LogLevel Level, string Text) line))
        {
            await _channel.SendAsync(ControlMessage.Log(line.Level, line.Text), cancellationToken).ConfigureAwait(false);
        }

        StatusReport status = BuildStatus();
        if (status.Note is { } note && note.Contains(';', StringComparison.Ordinal) && !_slowAdviceLogged)
        {
            // Once per model: the advice also goes to the OBS log, where a streamer looking for the cause of late frames reads.
            _slowAdviceLogged = true;
            _log.WriteLine("[streamfx-host] " + note);
            await _channel.SendAsync(ControlMessage.Log(LogLevel.Warning, note), cancellationToken).ConfigureAwait(false);
        }

        string json = status.ToJson();
        if (force || json != _lastStatusJson)
        {
            _lastStatusJson = json;
            _lastStatusTimestamp = Stopwatch.GetTimestamp();
            await _channel.SendAsync(ControlMessage.Status(json), cancellationToken).ConfigureAwait(false);
        }
    }

    private TimeSpan UntilLoadingStatusDue()
    {
        TimeSpan left = LoadingStatusPeriod - Stopwatch.GetElapsedTime(_lastStatusTimestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
