namespace StreamFx.Diffusion.Blending;

/// <summary>
/// Moves the prompt embedding from one prompt set to another over N frames: frame i of N uses
/// blend(from, to, i/N), so the N-th frame is exactly the target.
/// </summary>
public sealed class StyleTransition
{
    private float[] _from = Array.Empty<float>();
    private float[] _to = Array.Empty<float>();
    private int _frames;
    private int _done;

    public BlendMode Mode { get; private set; }
    public bool Active => _done < _frames;
    public int FramesLeft => _frames - _done;

    /// <summary>Starts a transition (copies both embeddings; allocation only when the size changes).</summary>
    public void Start(ReadOnlySpan<float> from, ReadOnlySpan<float> to, int frames, BlendMode mode)
    {
        if (from.Length != to.Length) throw new ArgumentException($"embeddings differ in length: {from.Length} vs {to.Length}");
        if (frames < 1) throw new ArgumentOutOfRangeException(nameof(frames), frames, "a transition needs at least 1 frame");
        if (_from.Length != from.Length)
        {
            _from = new float[from.Length];
            _to = new float[to.Length];
        }
        from.CopyTo(_from);
        to.CopyTo(_to);
        _frames = frames;
        _done = 0;
        Mode = mode;
    }

    public void Cancel() => _done = _frames;

    /// <summary>Writes the next frame's embedding; returns false (and writes nothing) when no transition is running.</summary>
    public bool Next(Span<float> dest)
    {
        if (!Active) return false;
        _done++;
        if (_done == _frames) _to.CopyTo(dest);
        else VectorBlend.Blend(Mode, _from, _to, (float)_done / _frames, dest);
        return true;
    }
}
