using StreamFx.Bridge.Tests.Support;

namespace StreamFx.Bridge.Tests;

public sealed class RegionHeaderTests
{
    private static void Validate(TestRegionHeader header, long? mappedSize = null) =>
        RegionHeader.Read(header.ToBytes()).Validate(mappedSize ?? (long)header.EffectiveRegionSize);

    [Fact]
    public void ValidHeaderReadsEveryFieldAtItsOffset()
    {
        var test = new TestRegionHeader { MaxWidth = 640, MaxHeight = 360, VersionMinor = 0 };
        RegionHeader header = RegionHeader.Read(test.ToBytes());
        header.Validate((long)test.EffectiveRegionSize);

        Assert.Equal(0x4F584653u, header.Magic);
        Assert.Equal((ushort)1, header.VersionMajor);
        Assert.Equal(256u, header.HeaderSize);
        Assert.Equal(3u, header.SlotCount);
        Assert.Equal(640u, header.MaxWidth);
        Assert.Equal(360u, header.MaxHeight);
        Assert.Equal(64u + 640 * 360 * 4, header.SlotStride);
        Assert.Equal(256 + 6UL * header.SlotStride, header.RegionSize);
        Assert.Equal("SFXO"u8.ToArray(), test.ToBytes()[..4]);
    }

    [Fact]
    public void HigherMinorVersionIsAccepted() => Validate(new TestRegionHeader { VersionMinor = 7 });

    public static TheoryData<string, TestRegionHeader, string, string> BadHeaders()
    {
        var valid = new TestRegionHeader();
        return new TheoryData<string, TestRegionHeader, string, string>
        {
            { "magic", valid with { Magic = 0x4F584654 }, "0x4F584653", "0x4F584654" },
            { "version_major", valid with { VersionMajor = 2 }, "1", "2" },
            { "version_major", valid with { VersionMajor = 0 }, "1", "0" },
            { "header_size", valid with { HeaderSize = 128 }, "256", "128" },
            { "slot_count", valid with { SlotCount = 2 }, "3", "2" },
            { "max_width", valid with { MaxWidth = 0, SlotStride = 64 }, "1..8192", "0" },
            { "max_width", valid with { MaxWidth = 8193, MaxHeight = 1 }, "1..8192", "8193" },
            { "max_height", valid with { MaxHeight = 0, SlotStride = 64 }, "1..8192", "0" },
            { "max_height", valid with { MaxWidth = 1, MaxHeight = 9000 }, "1..8192", "9000" },
            { "slot_stride", valid with { SlotStride = valid.EffectiveSlotStride + 32 }, "a multiple of 64", (valid.EffectiveSlotStride + 32).ToString() },
            { "slot_stride", valid with { SlotStride = valid.EffectiveSlotStride - 64 }, ">= 12352", (valid.EffectiveSlotStride - 64).ToString() },
            { "region_size", valid with { RegionSize = valid.EffectiveRegionSize + 64 }, valid.EffectiveRegionSize.ToString(), (valid.EffectiveRegionSize + 64).ToString() },
        };
    }

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void EachBadFieldIsRefusedNamingFieldExpectedAndFound(string field, TestRegionHeader header, string expected, string found)
    {
        var e = Assert.Throws<ProtocolViolationException>(() => Validate(header));
        Assert.Equal("region header field " + field, e.Field);
        Assert.Contains(expected, e.Expected);
        Assert.Equal(found, e.Found);
        Assert.Contains(field, e.Message);
    }

    [Theory]
    [InlineData(-64)]
    [InlineData(64)]
    [InlineData(4096)]
    public void RegionSizeMustEqualTheMappedSize(long difference)
    {
        var header = new TestRegionHeader();
        long mapped = (long)header.EffectiveRegionSize + difference;
        var e = Assert.Throws<ProtocolViolationException>(() => Validate(header, mapped));
        Assert.Equal("region header field region_size", e.Field);
        Assert.Contains(mapped.ToString(), e.Expected);
    }

    [Fact]
    public void PageRoundedMappingIsAcceptedOnlyWithinTheSlack()
    {
        var header = new TestRegionHeader();
        RegionHeader parsed = RegionHeader.Read(header.ToBytes());
        long exact = (long)header.EffectiveRegionSize;
        parsed.Validate(exact + 4095, mappedSizeSlack: 4095);
        Assert.Throws<ProtocolViolationException>(() => parsed.Validate(exact + 4096, mappedSizeSlack: 4095));
    }

    [Fact]
    public void TooShortBufferIsRefused()
    {
        var e = Assert.Throws<ProtocolViolationException>(() => RegionHeader.Read(new byte[100]));
        Assert.Equal("region size", e.Field);
    }

    [Fact]
    public void RealMappingWithWrongFileSizeIsRefusedAndClosed()
    {
        var header = new TestRegionHeader();
        string name = ShimRegion.NewName();
        string path = ShimRegion.CreateFile(name, header, fileSize: (long)header.EffectiveRegionSize + 64);
        try
        {
            var e = Assert.Throws<ProtocolViolationException>(() => FrameRegion.Attach(UnixFrameRegionMapping.OpenPath(path)));
            Assert.Equal("region header field region_size", e.Field);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RealMappingOpensByProtocolName()
    {
        using ShimRegion shim = ShimRegion.Create(32, 16);
        using FrameRegion host = FrameRegion.Open(shim.Name);
        Assert.Equal(shim.Region.Header, host.Header);

        // Both mappings see the same shared words.
        host.HostState = HostState.Ready;
        Assert.Equal(HostState.Ready, shim.Region.HostState);
        uint before = shim.Region.HostHeartbeat;
        host.IncrementHeartbeat();
        Assert.Equal(before + 1, shim.Region.HostHeartbeat);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("/streamfx-0123")]
    [InlineData("/streamfx-0123456789abcdef0123456789abcdeg")]
    [InlineData("/other-0123456789abcdef0123456789abcdef")]
    [InlineData("/streamfx-0123456789abcdef0123456789abcdef/x")]
    public void RegionNamesOtherThanTheProtocolPatternAreRefused(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => FrameRegionName.Normalize(name));
        Assert.Contains(name, e.Message);
    }

    [Fact]
    public void RegionNameWithOrWithoutSlashNamesTheSameObject()
    {
        const string bare = "streamfx-0123456789abcdef0123456789ABCDEF";
        Assert.Equal(bare, FrameRegionName.Normalize("/" + bare));
        Assert.Equal(bare, FrameRegionName.Normalize(bare));
    }

    [Fact]
    public void WindowsRegionNameAsTheShimPassesItIsAccepted()
    {
        // platform-win32.c hands the host "Local\streamfx-<32 hex>" (docs/protocol.md section 1).
        const string bare = "streamfx-0123456789abcdef0123456789abcdef";
        Assert.Equal(bare, FrameRegionName.Normalize(@"Local\" + bare, windows: true));
        Assert.Equal(bare, FrameRegionName.Normalize(bare, windows: true));
    }

    [Theory]
    [InlineData(@"Global\streamfx-0123456789abcdef0123456789abcdef", true)]
    [InlineData(@"Local\..\streamfx-0123456789abcdef0123456789abcdef", true)]
    [InlineData(@"local\streamfx-0123456789abcdef0123456789abcdef", true)]
    [InlineData("/streamfx-0123456789abcdef0123456789abcdef", true)]
    [InlineData(@"Local\streamfx-0123456789abcdef0123456789abcdef", false)]
    public void RegionNamesOfTheOtherOsOrNamespaceAreRefused(string name, bool windows)
    {
        var e = Assert.Throws<ArgumentException>(() => FrameRegionName.Normalize(name, windows));
        Assert.Contains(name, e.Message);
        Assert.Contains(windows ? @"expected ""Local\streamfx-" : @"expected ""/streamfx-", e.Message);
    }

    [Fact]
    public void MissingRegionIsAClearError()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FrameRegion.Open(ShimRegion.NewName()));
        Assert.Contains("/dev/shm/streamfx-", e.Message);
    }
}
