namespace StreamFx.Diffusion.Imaging;

/// <summary>
/// Bilinear sampling positions along one axis, computed once per size change: destination index i
/// samples the source at (i + 0.5) / k - 0.5 + offset, i.e. between I0[i] and I1[i] with weight W[i] on I1.
/// Positions outside the source are marked invalid.
/// </summary>
internal sealed class AxisMap
{
    public AxisMap(int destination, int source, double scale, double offset)
    {
        I0 = new int[destination];
        I1 = new int[destination];
        W = new float[destination];
        Valid = new bool[destination];
        for (int i = 0; i < destination; i++)
        {
            double s = (i + 0.5 - offset) / scale - 0.5;
            Valid[i] = s >= -0.5 - 1e-9 && s <= source - 0.5 + 1e-9;
            double fl = Math.Floor(s);
            int a = (int)fl;
            W[i] = (float)(s - fl);
            I0[i] = Math.Clamp(a, 0, source - 1);
            I1[i] = Math.Clamp(a + 1, 0, source - 1);
        }
    }

    public int[] I0 { get; }
    public int[] I1 { get; }
    public float[] W { get; }
    public bool[] Valid { get; }
}
