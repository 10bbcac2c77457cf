namespace StreamFx.Diffusion.Imaging;

/// <summary>
/// Bilinear sampling positions along one axis, computed once per size change: destination index i
/// samples the source at (i + 0.5) / k - 0.5 + offset, i.e. between I0[i] and I1[i] with weight W[i] on I1
/// (and W0[i] = 1 - W[i] on I0). Positions outside the source are marked invalid; since the position grows
/// with i, the valid ones form one run [First, End).
/// </summary>
internal sealed class AxisMap
{
    public AxisMap(int destination, int source, double scale, double offset)
    {
        I0 = new int[destination];
        I1 = new int[destination];
        W = new float[destination];
        W0 = new float[destination];
        Valid = new bool[destination];
        bool identity = destination == source;
        First = destination;
        End = 0;
        for (int i = 0; i < destination; i++)
        {
            double s = (i + 0.5 - offset) / scale - 0.5;
            Valid[i] = s >= -0.5 - 1e-9 && s <= source - 0.5 + 1e-9;
            double fl = Math.Floor(s);
            int a = (int)fl;
            W[i] = (float)(s - fl);
            W0[i] = 1 - W[i];
            I0[i] = Math.Clamp(a, 0, source - 1);
            I1[i] = Math.Clamp(a + 1, 0, source - 1);
            if (Valid[i])
            {
                First = Math.Min(First, i);
                End = i + 1;
            }
            identity &= Valid[i] && W[i] == 0 && I0[i] == i;
        }
        if (First > End) First = End;
        for (int i = First; i < End; i++)
            if (!Valid[i]) throw new InvalidOperationException($"axis map {source} -> {destination} (scale {scale}, offset {offset}) has a gap at {i}");
        IsIdentity = identity;
    }

    public int[] I0 { get; }
    public int[] I1 { get; }
    public float[] W { get; }
    public float[] W0 { get; }
    public bool[] Valid { get; }

    /// <summary>First valid destination index (End when none is valid).</summary>
    public int First { get; }

    /// <summary>One past the last valid destination index.</summary>
    public int End { get; }

    /// <summary>Every destination index i reads source index i with no blending (same size, no offset).</summary>
    public bool IsIdentity { get; }
}
