namespace StreamFx.Bridge;

/// <summary>
/// The peer broke the protocol (docs/protocol.md section 6): the session ends. The message names
/// the field, the expected and the found value, so one log line says what went wrong.
/// </summary>
public sealed class ProtocolViolationException : Exception
{
    public ProtocolViolationException(string field, string expected, string found)
        : base($"protocol violation: {field}: expected {expected}, found {found}")
    {
        Field = field;
        Expected = expected;
        Found = found;
    }

    public string Field { get; }
    public string Expected { get; }
    public string Found { get; }
}
