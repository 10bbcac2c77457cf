namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// A fact that needs an external artefact located by an environment variable (the built C peer,
/// the published host). It is reported as skipped, naming the variable, only when the variable is
/// unset; when set to a path that does not exist the test runs and fails.
/// </summary>
public sealed class RequiresEnvironmentFactAttribute : FactAttribute
{
    public RequiresEnvironmentFactAttribute(string variable)
    {
        Variable = variable;
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Skip = $"{variable} is not set (scripts/test.sh sets it to the built artefact)";
        }
    }

    public string Variable { get; }

    public static string PathFrom(string variable)
    {
        string path = Environment.GetEnvironmentVariable(variable) ?? throw new InvalidOperationException($"{variable} is not set");
        Assert.True(File.Exists(path), $"{variable}='{path}' does not exist: build it first");
        return path;
    }
}
