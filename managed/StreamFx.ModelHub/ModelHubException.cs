namespace StreamFx.ModelHub;

/// <summary>What went wrong, so callers (the CLI's exit status, the panel's state line, tests) can tell faults apart.</summary>
public enum ModelHubFault
{
    BadCatalogue,
    UnknownModel,
    InsecureUrl,
    NotFound,
    ServerError,
    Stalled,
    ConnectionLost,
    UnsafePath,
    TooLong,
    ChecksumMismatch,
    DiskFull,
    Busy,
    Cancelled,
    RevisionChanged,
    VerifyFailed,
}

/// <summary>A download or catalogue failure with one clear message naming the file/URL and what was expected.</summary>
public sealed class ModelHubException(ModelHubFault fault, string message, Exception? inner = null) : Exception(message, inner)
{
    public ModelHubFault Fault { get; } = fault;
}
