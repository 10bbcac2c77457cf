using StreamFx.Diffusion.Filtering;

namespace StreamFx.Diffusion.Tests;

internal sealed class ScriptedUniform(params double[] values) : IUniformSource
{
    private int _i;
    public int Draws => _i;
    public double NextUniform() => values[_i++ % values.Length];
}

public class FilteringTests
{
    [Theory]
    [InlineData(1.0, 0.98, 1.0)]
    [InlineData(0.99, 0.98, 0.5)]     // 1 - 0.01/0.02
    [InlineData(0.995, 0.98, 0.75)]   // 1 - 0.005/0.02
    [InlineData(0.98, 0.98, 0.0)]
    [InlineData(0.5, 0.98, 0.0)]      // clamped at 0
    [InlineData(0.95, 0.9, 0.5)]      // 1 - 0.05/0.1
    [InlineData(1.0, 1.0, 0.0)]       // threshold 1: never skip
    public void SkipProbability(double c, double eta, double expected)
    {
        Assert.Equal(expected, SimilaritySkipFilter.SkipProbability(c, eta), 9);
    }

    [Fact]
    public void IdenticalFramesSkipAtMostMaxSkipInARow()
    {
        var filter = new SimilaritySkipFilter(new ScriptedUniform(0.3), threshold: 0.98, maxSkipFrames: 3);
        float[] frame = [1f, 2f, 3f];
        var decisions = Enumerable.Range(0, 10).Select(_ => filter.ShouldSkip(frame)).ToArray();
        // First frame has no reference; then 3 skips, a forced run, 3 skips, a forced run, ...
        Assert.Equal(new[] { false, true, true, true, false, true, true, true, false, true }, decisions);
    }

    [Fact]
    public void DrawAboveProbabilityProcessesTheFrame()
    {
        // c between [1,0] and [1,0.1] = 1/sqrt(1.01) = 0.995037...; p = 1 - (1-c)/0.02 = 0.7519
        var uniform = new ScriptedUniform(0.76, 0.75);
        var filter = new SimilaritySkipFilter(uniform, threshold: 0.98, maxSkipFrames: 10);
        Assert.False(filter.ShouldSkip([1f, 0f]));
        Assert.False(filter.ShouldSkip([1f, 0.1f]));   // u = 0.76 > p: processed, becomes the reference
        Assert.Equal(1 / Math.Sqrt(1.01), filter.LastSimilarity, 6);
        Assert.True(filter.ShouldSkip([1f, 0f]));      // u = 0.75 < p
    }

    [Fact]
    public void DissimilarFrameIsNeverSkippedAndThresholdZeroIsOff()
    {
        var filter = new SimilaritySkipFilter(new ScriptedUniform(0.0), threshold: 0.98);
        Assert.False(filter.ShouldSkip([1f, 0f]));
        Assert.False(filter.ShouldSkip([0f, 1f]));  // c = 0 -> p = 0, even with u = 0
        filter.Threshold = 0;
        Assert.False(filter.ShouldSkip([0f, 1f]));
        Assert.False(filter.ShouldSkip([0f, 1f]));
    }
}
