namespace StreamFx.ModelPack.Validation;

/// <summary>A problem with one file of a model folder; the message always starts with the file's full path.</summary>
public sealed class ModelFileException : Exception
{
    public ModelFileException(string path, string problem, Exception? inner = null)
        : base($"{Path.GetFullPath(path)}: {problem}", inner)
    {
        FilePath = Path.GetFullPath(path);
        Problem = problem;
    }

    public string FilePath { get; }

    public string Problem { get; }
}
