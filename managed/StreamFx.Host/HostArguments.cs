namespace StreamFx.Host;

/// <summary>The command line: <c>streamfx-host --shm &lt;name&gt; --control &lt;address&gt;</c>, or <c>--version</c>.</summary>
public sealed record HostArguments(string? Shm, string? Control, bool ShowVersion)
{
    public const string Usage = "usage: streamfx-host --shm <region name> --control <socket path | pipe name>\n       streamfx-host --version";

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public static HostArguments Parse(IReadOnlyList<string> args)
    {
        string? shm = null, control = null;
        bool version = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--version":
                    version = true;
                    break;
                case "--shm":
                    shm = Value(args, ref i);
                    break;
                case "--control":
                    control = Value(args, ref i);
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }

        if (!version && (shm is null || control is null))
        {
            throw new ArgumentException(shm is null ? "missing --shm <region name>" : "missing --control <address>");
        }

        return new HostArguments(shm, control, version);
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1].Length == 0)
        {
            throw new ArgumentException($"{args[i]} needs a value");
        }

        return args[++i];
    }
}
