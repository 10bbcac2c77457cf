using StreamFx.Bridge;
using StreamFx.Diffusion.Pipeline;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

// Model-load orchestration: CONFIGURE decides between applying live settings and a load; loads start,
// finish, fail or are superseded by driving the EffectSlot state machine; hidden models are unloaded.
public sealed partial class HostSession
{
    private async Task ConfigureAsync(string json, CancellationToken cancellationToken)
    {
        EffectSettings settings;
        HostVisibility visibility;
        try
        {
            settings = HostSettings.Parse(json, _settings);
            visibility = HostSettings.ParseVisibility(json, _visibility, settings);
        }
        catch (InvalidDataException e)
        {
            // The previous settings stay in force.
            _settingsError = e.Message;
            _log.WriteLine("[streamfx-host] " + e.Message);
            _shimLogs.Enqueue((LogLevel.Warning, e.Message));
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        _settingsError = null;
        if (_visibility.Active && !visibility.Active)
        {
            _hiddenSince = _time.GetTimestamp();
        }

        _visibility = visibility;
        EffectSettings previous = _settings;
        _settings = settings;
        var key = LoadKey.For(settings);

        if (_slot.LiveLoad is ModelLoad live)
        {
            if (live.Key == key)
            {
                // Same model on the way: these settings are applied when it is swapped in.
                await SendStatusAsync(force: false, cancellationToken).ConfigureAwait(false);
                return;
            }

            // A newer CONFIGURE wins: the running load is cancelled, and the next one starts once it has ended.
            _log.WriteLine($"[streamfx-host] model '{live.Model}': load superseded by a newer CONFIGURE; cancelling it");
            _slot.SupersedeLiveLoad();
        }

        _slot.DropWanted();
        if (key == _slot.CurrentKey)
        {
            // Back on (or still on) the model in use: an earlier failure no longer applies.
            _slot.ForgetFailure();
            ConfigureOutcome outcome;
            try
            {
                outcome = _slot.Current.Effect.Configure(settings);
            }
            catch (Exception e) when (e is not ProtocolViolationException)
            {
                // Any failure, an ONNX Runtime one included: the effect kept its previous state (its
                // Configure is transactional), so the previous settings stay in force and the host stays up.
                _settings = previous;
                _settingsError = $"CONFIGURE: {e.Message}";
                _log.WriteLine($"[streamfx-host] {_settingsError} ({e.GetType().Name}); previous settings kept");
                _shimLogs.Enqueue((LogLevel.Warning, _settingsError));
                await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (outcome == ConfigureOutcome.Applied)
            {
                await SendStatusAsync(force: false, cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        else if (key == _slot.State.Failure?.Key)
        {
            // This exact load failed already (reported); retried when the folder or provider changes.
            await SendStatusAsync(force: false, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (key.ModelDir is null)
        {
            // Nothing to load: passthrough right away.
            Swap(EffectLoad.NoModel(), key);
            _log.WriteLine("[streamfx-host] no model folder set; passing frames through");
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        _slot.Want(new WantedModel(key, settings));
        if (!await StartWantedLoadAsync(frameArrived: false, cancellationToken).ConfigureAwait(false))
        {
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the wanted model's load when none runs and the source is shown (CONFIGURE <c>active</c>,
    /// or a frame arrived): a hidden filter never loads a model. Returns whether a load started.
    /// </summary>
    private async Task<bool> StartWantedLoadAsync(bool frameArrived, CancellationToken cancellationToken)
    {
        if (_slot.State is not SlotState.WaitingToBeShown { Next: var wanted } || !(_visibility.Active || frameArrived))
        {
            return false;
        }

        LoadsStarted++;
        _slot.Started(ModelLoad.Start(wanted.Key, wanted.Settings, _loader, LogFromLoader));
        _log.WriteLine($"[streamfx-host] model '{wanted.Key.ModelDir}': loading (provider {Diffusion.Runtime.ExecutionProviderNames.Name(wanted.Key.Provider)}); frames keep flowing through '{_slot.Current.Effect.Name}'");
        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
        return true;
    }

    // Called from the loading thread: the line goes to stderr now, to the shim from the loop.
    private void LogFromLoader(string line)
    {
        _log.WriteLine("[streamfx-host] " + line);
        _shimLogs.Enqueue((LogLevel.Info, line));
    }

    /// <summary>
    /// Takes the finished load's result on the frame loop: swaps it in, keeps the current effect on
    /// failure, or disposes it unseen when it was superseded; then starts the wanted load, if any.
    /// </summary>
    private async Task CompleteLoadAsync(CancellationToken cancellationToken)
    {
        ModelLoad load = _slot.TakeFinishedLoad();
        EffectLoad result = await load.Result.ConfigureAwait(false);
        if (load.Superseded)
        {
            result.Effect.Dispose();
            _log.WriteLine($"[streamfx-host] model '{load.Model}': superseded load ended after {load.ElapsedSeconds:0.0} s; its result was discarded");
            if (!await StartWantedLoadAsync(frameArrived: false, cancellationToken).ConfigureAwait(false))
            {
                await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (result.Error is not null)
        {
            result.Effect.Dispose();
            _slot.Fail(new LoadFailure(load.Key, result.Model ?? load.Model, result.Error));
            string message = $"model '{load.Key.ModelDir}' failed to load: {result.Error}; {(_slot.Current.Effect is IdentityEffect ? "frames pass through" : $"still running '{_slot.Current.Model}'")}";
            _log.WriteLine("[streamfx-host] " + message);
            _shimLogs.Enqueue((LogLevel.Error, message));
            await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Settings that arrived during the load (same folder and provider) apply before the first frame.
        bool reloadAgain = false;
        if (!ReferenceEquals(load.Settings, _settings))
        {
            try
            {
                reloadAgain = result.Effect.Configure(_settings) == ConfigureOutcome.ReloadRequired;
            }
            catch (Exception e) when (e is not ProtocolViolationException)
            {
                // The new effect keeps the settings it was built with.
                _settingsError = $"CONFIGURE: {e.Message}";
                _shimLogs.Enqueue((LogLevel.Warning, _settingsError));
            }
        }

        Swap(result, load.Key);
        _slowAdviceLogged = false;
        string provider = result.Effect.Report.Provider;
        _log.WriteLine($"[streamfx-host] model '{load.Key.ModelDir}': ready on {provider} after {load.ElapsedSeconds:0.0} s");
        _shimLogs.Enqueue((LogLevel.Info, $"model '{result.Model}' ready on {provider} ({load.ElapsedSeconds:0.0} s)"));
        if (reloadAgain)
        {
            // E.g. a new resolution on TensorRT arrived during the build: its engines are per size.
            _slot.Want(new WantedModel(LoadKey.For(_settings), _settings));
            if (!await StartWantedLoadAsync(frameArrived: false, cancellationToken).ConfigureAwait(false))
            {
                await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
    }

    // The old effect is only disposed in the slot, on the frame loop, after the new one took its place.
    private void Swap(EffectLoad next, LoadKey key)
    {
        _slot.Swap(next, key);
        _frameError = null;
        _effectFrameSeconds = null;
    }

    // How long until a hidden, loaded model is due to be unloaded; null when none is.
    private TimeSpan? UntilUnload()
    {
        if (_visibility.Active || _visibility.UnloadAfterHiddenSeconds == 0 || _slot.CurrentKey.ModelDir is null || LoadRunning)
        {
            return null;
        }

        TimeSpan left = TimeSpan.FromSeconds(_visibility.UnloadAfterHiddenSeconds) - _time.GetElapsedTime(_hiddenSince);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task UnloadIfHiddenLongEnoughAsync(CancellationToken cancellationToken)
    {
        if (UntilUnload() != TimeSpan.Zero)
        {
            return;
        }

        // The model is wanted again as soon as the source is shown; until then frames pass through.
        LoadKey key = _slot.CurrentKey;
        string? model = _slot.Current.Model;
        _slot.Want(new WantedModel(key, _settings));
        Swap(EffectLoad.NoModel(), default);
        string message = $"model '{model}' unloaded: source hidden for {_visibility.UnloadAfterHiddenSeconds} s; it loads again in the background when shown";
        _log.WriteLine("[streamfx-host] " + message);
        _shimLogs.Enqueue((LogLevel.Info, message));
        await SendStatusAsync(force: true, cancellationToken).ConfigureAwait(false);
    }
}
