namespace StreamFx.Diffusion.Model;

/// <summary>
/// A model folder that does not meet docs/models.md. The message is "&lt;full path&gt;: &lt;subject&gt;: expected X, found Y",
/// naming the file, the field or tensor, what was expected and what was found.
/// </summary>
public sealed class ModelFolderException : Exception
{
    public ModelFolderException(string file, string subject, string expected, string found, Exception? inner = null)
        : base($"{file}: {subject}: expected {expected}, found {found}", inner)
    {
        File = file;
        Subject = subject;
        Expected = expected;
        Found = found;
    }

    private ModelFolderException(string file, string message, string found, Exception? inner)
        : base($"{file}: {message} ({found})", inner)
    {
        File = file;
        Subject = "execution provider";
        Expected = message;
        Found = found;
    }

    /// <summary>A model that is fine but cannot run on the providers available here: "&lt;file&gt;: &lt;message&gt; (&lt;runtime's words&gt;)".</summary>
    public static ModelFolderException NeedsProvider(string file, string message, string found, Exception? inner = null) => new(file, message, found, inner);

    public string File { get; }
    public string Subject { get; }
    public string Expected { get; }
    public string Found { get; }
}
