namespace StreamFx.ModelHub;

public sealed record DownloadProgress(string ModelId, string? File, long BytesDone, long BytesTotal, double BytesPerSecond)
{
    public double Fraction => BytesTotal > 0 ? (double)BytesDone / BytesTotal : 0;

    /// <summary>Seconds left at the current rate, or null before the rate is known.</summary>
    public double? SecondsLeft => BytesPerSecond > 1 ? (BytesTotal - BytesDone) / BytesPerSecond : null;
}

public sealed class DownloadOptions
{
    /// <summary>No byte (or no response header) for this long counts as a stalled server.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Tries per file that make no progress before giving up (a try that gets bytes resets the count).</summary>
    public int AttemptsWithoutProgress { get; init; } = 4;

    /// <summary>Free bytes where a folder lives; replaceable so tests can simulate a full disk (a quota).</summary>
    public Func<string, long> AvailableBytes { get; init; } = dir => new DriveInfo(Path.GetFullPath(dir)).AvailableFreeSpace;

    /// <summary>Bytes kept free beyond the download itself, so a model never fills the disk to the last byte.</summary>
    public long Reserve { get; init; } = 64L << 20;
}
