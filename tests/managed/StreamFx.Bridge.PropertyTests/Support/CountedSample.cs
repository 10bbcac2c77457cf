using CsCheck;
using Xunit.Abstractions;

namespace StreamFx.Bridge.PropertyTests.Support;

/// <summary>
/// Runs a CsCheck property for a fixed number of generated cases and proves they ran: the property
/// body is counted, the count is written to the test output and must reach the number asked for.
/// </summary>
public static class CountedSample
{
    public static void Run<T>(Gen<T> gen, Action<T> property, long iterations, ITestOutputHelper output, string name)
    {
        long executed = 0;
        gen.Sample(value =>
        {
            Interlocked.Increment(ref executed);
            property(value);
        }, iter: iterations);
        output.WriteLine($"{name}: {executed} executions, 0 failures");
        Assert.True(executed >= iterations, $"{name}: only {executed} of {iterations} cases ran");
    }
}
