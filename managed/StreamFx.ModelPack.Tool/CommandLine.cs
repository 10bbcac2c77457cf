namespace StreamFx.ModelPack.Tool;

public sealed class CommandLineException(string message) : Exception(message);

/// <summary>"--name value" options of one command; each option may appear once.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public static CommandLine Parse(ReadOnlySpan<string> args)
    {
        var line = new CommandLine();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new CommandLineException($"unexpected argument '{arg}'");
            }

            if (i + 1 >= args.Length)
            {
                throw new CommandLineException($"option {arg} needs a value");
            }

            if (!line._values.TryAdd(arg[2..], args[++i]))
            {
                throw new CommandLineException($"option {arg} given twice");
            }
        }

        return line;
    }

    public string Required(string name) =>
        Optional(name) ?? throw new CommandLineException($"option --{name} is required");

    public string? Optional(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out string? value) ? value : null;
    }

    public int Int(string name, int fallback)
    {
        string? text = Optional(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new CommandLineException($"option --{name}: '{text}' is not an integer");
    }

    /// <summary>Fails on options the command never asked for (typos must not be ignored).</summary>
    public void RejectUnknown()
    {
        foreach (string name in _values.Keys)
        {
            if (!_read.Contains(name))
            {
                throw new CommandLineException($"unknown option --{name}");
            }
        }
    }
}
