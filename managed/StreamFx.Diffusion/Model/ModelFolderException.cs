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

    public string File { get; }
    public string Subject { get; }
    public string Expected { get; }
    public string Found { get; }
}
