namespace StreamFx.Host;

/// <summary>streamfx-host's exit statuses.</summary>
public static class HostExitCode
{
    public const int Ok = 0;
    public const int Usage = 2;
    public const int RegionRefused = 3;
    public const int ControlConnectFailed = 4;
    public const int ProtocolViolation = 5;
    public const int Crashed = 70;
}
