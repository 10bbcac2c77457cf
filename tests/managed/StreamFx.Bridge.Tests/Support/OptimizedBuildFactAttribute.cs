using System.Diagnostics;
using System.Reflection;

namespace StreamFx.Bridge.Tests.Support;

/// <summary>
/// A fact about optimized code only (allocation budgets): a Debug build compiles every async state
/// machine as a class, allocating per call by design. Skipped, saying so, when the host assembly
/// was built without optimizations; scripts/test.sh runs the tests with -c Release.
/// </summary>
public sealed class OptimizedBuildFactAttribute : FactAttribute
{
    public OptimizedBuildFactAttribute()
    {
        DebuggableAttribute? debuggable = typeof(StreamFx.Host.HostSession).Assembly.GetCustomAttribute<DebuggableAttribute>();
        if (debuggable?.IsJITOptimizerDisabled == true)
        {
            Skip = "needs an optimized build of the host (dotnet test -c Release)";
        }
    }
}
