namespace StreamFx.Diffusion.Filtering;

/// <summary>A source of uniform draws in [0, 1); injectable so the skip decision can be tested.</summary>
public interface IUniformSource
{
    double NextUniform();
}

/// <summary>Default source: xorshift64* (no allocation, deterministic for a seed).</summary>
public sealed class XorShiftUniformSource : IUniformSource
{
    private ulong _state;

    public XorShiftUniformSource(ulong seed) => _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

    public double NextUniform()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        ulong r = _state * 0x2545F4914F6CDD1DUL;
        return (r >> 11) * (1.0 / (1UL << 53));
    }
}
