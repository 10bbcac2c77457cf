using System.Runtime.InteropServices;

namespace StreamFx.Bridge.PropertyTests.Support;

/// <summary>
/// A frame region in native memory of exactly <see cref="Size"/> bytes, filled from arbitrary bytes:
/// lets a property hand any header and slot contents to the real validation code without files.
/// </summary>
public sealed unsafe class NativeRegionMapping : IFrameRegionMapping
{
    public NativeRegionMapping(ReadOnlySpan<byte> contents, long size)
    {
        Size = size;
        Pointer = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(size, 1));
        contents[..(int)Math.Min(contents.Length, size)].CopyTo(Bytes);
    }

    public byte* Pointer { get; private set; }
    public long Size { get; }
    public long SizeSlack => 0;

    public Span<byte> Bytes => new(Pointer, (int)Size);

    public void Dispose()
    {
        if (Pointer != null)
        {
            NativeMemory.Free(Pointer);
            Pointer = null;
        }
    }
}
