namespace StreamFx.Bridge.Tests;

public sealed class SequenceNumberTests
{
    [Theory]
    [InlineData(1u, 0u, true)]
    [InlineData(0u, 1u, false)]
    [InlineData(5u, 5u, false)]
    [InlineData(0u, 0xFFFFFFFFu, true)]          // wrap: 0 follows 2^32-1
    [InlineData(0xFFFFFFFFu, 0u, false)]
    [InlineData(0x00000010u, 0xFFFFFFF0u, true)] // 32 steps across the wrap
    [InlineData(0x7FFFFFFFu, 0u, true)]          // the furthest "newer"
    [InlineData(0x80000000u, 0u, false)]         // half way round is not newer
    [InlineData(0u, 0x80000001u, true)]
    public void IsNewerUsesSerialArithmetic(uint a, uint b, bool newer) => Assert.Equal(newer, SequenceNumber.IsNewer(a, b));

    [Fact]
    public void NextWraps()
    {
        Assert.Equal(0u, SequenceNumber.Next(uint.MaxValue));
        Assert.Equal(43u, SequenceNumber.Next(42));
    }

    [Fact]
    public void EveryStepAcrossTheWrapIsNewer()
    {
        uint previous = 0xFFFFFFF0;
        for (int i = 0; i < 64; i++)
        {
            uint next = SequenceNumber.Next(previous);
            Assert.True(SequenceNumber.IsNewer(next, previous), $"{next:X8} after {previous:X8}");
            Assert.False(SequenceNumber.IsNewer(previous, next));
            previous = next;
        }
    }
}
