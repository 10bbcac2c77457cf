namespace StreamFx.Bridge;

/// <summary>Serial-number arithmetic on wrapping u32 sequences (docs/protocol.md section 4).</summary>
public static class SequenceNumber
{
    /// <summary>True when <paramref name="a"/> is newer than <paramref name="b"/>: (int32)(a - b) &gt; 0.</summary>
    public static bool IsNewer(uint a, uint b) => unchecked((int)(a - b)) > 0;

    /// <summary>The number after <paramref name="value"/>, wrapping at 2^32.</summary>
    public static uint Next(uint value) => unchecked(value + 1);
}
