using StreamFx.Diffusion.Pipeline;
using StreamFx.Host.Effects;

namespace StreamFx.Host;

// The effect slot's state machine: the effect frames run through now, and one state value saying what replaces it.

/// <summary>A model that is wanted but not loading yet: it starts once no load runs and the source is shown.</summary>
public sealed record WantedModel(LoadKey Key, EffectSettings Settings);

/// <summary>
/// The last load that failed. It is remembered (also while other loads run) so a CONFIGURE asking for
/// the same folder and provider again reports it instead of retrying; a swap or going back to the
/// current effect's key forgets it.
/// </summary>
public sealed record LoadFailure(LoadKey Key, string? Model, string Error);

/// <summary>
/// What the effect slot is doing besides running its current effect. Exactly one of:
/// <see cref="Steady"/> (nothing pending; STATUS "ready" or "no model" from the current effect),
/// <see cref="Failed"/> (nothing pending, the last load failed), <see cref="Loading"/> (a load runs
/// and will be swapped in), <see cref="Cancelling"/> (a superseded load is still ending; a wanted
/// model may start after it) and <see cref="WaitingToBeShown"/> (a model is wanted while the source
/// is hidden: never loaded yet, or unloaded after being hidden).
/// </summary>
public abstract record SlotState
{
    private SlotState()
    {
    }

    /// <summary>The remembered failure, in every state that keeps one.</summary>
    public abstract LoadFailure? Failure { get; }

    public sealed record Steady : SlotState
    {
        public static readonly Steady Instance = new();

        public override LoadFailure? Failure => null;
    }

    public sealed record Failed(LoadFailure Last) : SlotState
    {
        public override LoadFailure? Failure => Last;
    }

    public sealed record Loading(ModelLoad Load, LoadFailure? Earlier) : SlotState
    {
        public override LoadFailure? Failure => Earlier;
    }

    public sealed record Cancelling(ModelLoad Load, WantedModel? Next, LoadFailure? Earlier) : SlotState
    {
        public override LoadFailure? Failure => Earlier;
    }

    public sealed record WaitingToBeShown(WantedModel Next, LoadFailure? Earlier) : SlotState
    {
        public override LoadFailure? Failure => Earlier;
    }

    /// <summary>Nothing pending, keeping <paramref name="failure"/> if any.</summary>
    public static SlotState Idle(LoadFailure? failure) => failure is null ? Steady.Instance : new Failed(failure);
}

/// <summary>
/// The current effect (identity when no model runs), its load key and the <see cref="SlotState"/>.
/// Only the session's frame loop touches it; the transitions do no I/O, the session does the logging
/// and STATUS around them. The old effect is disposed only when the new one took its place.
/// </summary>
public sealed class EffectSlot : IDisposable
{
    public EffectSlot(LoadKey initialKey)
    {
        CurrentKey = initialKey;
    }

    public EffectLoad Current { get; private set; } = EffectLoad.NoModel();

    public LoadKey CurrentKey { get; private set; }

    public SlotState State { get; private set; } = SlotState.Steady.Instance;

    /// <summary>The running load (at most one), live or superseded.</summary>
    public ModelLoad? RunningLoad => State switch
    {
        SlotState.Loading loading => loading.Load,
        SlotState.Cancelling cancelling => cancelling.Load,
        _ => null,
    };

    /// <summary>The load that will give the wanted model (not a superseded one), if any.</summary>
    public ModelLoad? LiveLoad => (State as SlotState.Loading)?.Load;

    /// <summary>The model wanted next: after a superseded load ends, or once the source is shown.</summary>
    public WantedModel? Wanted => State switch
    {
        SlotState.Cancelling cancelling => cancelling.Next,
        SlotState.WaitingToBeShown waiting => waiting.Next,
        _ => null,
    };

    /// <summary>Loading → Cancelling: a newer request won; the load is asked to stop.</summary>
    public void SupersedeLiveLoad()
    {
        var loading = (SlotState.Loading)State;
        loading.Load.Supersede();
        State = new SlotState.Cancelling(loading.Load, null, loading.Earlier);
    }

    /// <summary>No model is wanted any more (a live load stays as it is).</summary>
    public void DropWanted()
    {
        State = State switch
        {
            SlotState.Cancelling cancelling => cancelling with { Next = null },
            SlotState.WaitingToBeShown waiting => SlotState.Idle(waiting.Earlier),
            _ => State,
        };
    }

    /// <summary>Wants <paramref name="next"/>: after the superseded load if one runs, else once shown. Never while a live load runs.</summary>
    public void Want(WantedModel next)
    {
        State = State switch
        {
            SlotState.Cancelling cancelling => cancelling with { Next = next },
            SlotState.Loading => throw new InvalidOperationException("a live load runs; supersede it first"),
            _ => new SlotState.WaitingToBeShown(next, State.Failure),
        };
    }

    /// <summary>Forgets the remembered failure (back on the current effect's key).</summary>
    public void ForgetFailure() => State = WithoutFailure(State);

    /// <summary>WaitingToBeShown → Loading with the load just started for its wanted model.</summary>
    public void Started(ModelLoad load)
    {
        var waiting = (SlotState.WaitingToBeShown)State;
        State = new SlotState.Loading(load, waiting.Earlier);
    }

    /// <summary>
    /// Takes the finished load out of the slot: a live one leaves the slot idle (the caller swaps the
    /// result in or records the failure), a superseded one leaves its wanted model waiting.
    /// </summary>
    public ModelLoad TakeFinishedLoad()
    {
        switch (State)
        {
            case SlotState.Loading loading:
                State = SlotState.Idle(loading.Earlier);
                return loading.Load;
            case SlotState.Cancelling { Next: WantedModel next } cancelling:
                State = new SlotState.WaitingToBeShown(next, cancelling.Earlier);
                return cancelling.Load;
            case SlotState.Cancelling cancelling:
                State = SlotState.Idle(cancelling.Earlier);
                return cancelling.Load;
            default:
                throw new InvalidOperationException("no load runs");
        }
    }

    /// <summary>Idle → Failed: the live load just taken failed.</summary>
    public void Fail(LoadFailure failure) => State = new SlotState.Failed(failure);

    /// <summary>Puts <paramref name="next"/> in as the current effect (forgetting any failure) and disposes the old one.</summary>
    public void Swap(EffectLoad next, LoadKey key)
    {
        EffectLoad old = Current;
        Current = next;
        CurrentKey = key;
        State = WithoutFailure(State);
        old.Effect.Dispose();
    }

    private static SlotState WithoutFailure(SlotState state) => state switch
    {
        SlotState.Failed => SlotState.Steady.Instance,
        SlotState.Loading loading => loading with { Earlier = null },
        SlotState.Cancelling cancelling => cancelling with { Earlier = null },
        SlotState.WaitingToBeShown waiting => waiting with { Earlier = null },
        _ => state,
    };

    /// <summary>For the session's end: the running load is abandoned (its result disposed when it ends).</summary>
    public void Dispose()
    {
        RunningLoad?.Abandon();
        State = SlotState.Steady.Instance;
        Current.Effect.Dispose();
    }
}
