using System.IO.MemoryMappedFiles;
using System.Runtime.Versioning;

namespace StreamFx.Bridge;

/// <summary>
/// Windows: the region is the named file mapping Local\streamfx-&lt;hex&gt;. Windows rounds the view
/// up to whole pages, so the mapped size may exceed region_size by less than one page.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed unsafe class WindowsFrameRegionMapping : IFrameRegionMapping
{
    private const long PageSlack = 4096 - 1;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _pointer;

    private WindowsFrameRegionMapping(MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        _file = file;
        _view = view;
        Size = view.Capacity;
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
    }

    public byte* Pointer => _pointer;
    public long Size { get; }
    public long SizeSlack => PageSlack;

    /// <summary>Opens the mapping "Local\streamfx-&lt;32 hex&gt;" read-write; the name may come with or without "Local\".</summary>
    public static WindowsFrameRegionMapping Open(string name)
    {
        string mappingName = FrameRegionName.WindowsNamespace + FrameRegionName.Normalize(name, windows: true);
        var file = MemoryMappedFile.OpenExisting(mappingName, MemoryMappedFileRights.ReadWrite, HandleInheritability.None);
        try
        {
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
            return new WindowsFrameRegionMapping(file, view);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_pointer != null)
        {
            _pointer = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        _view.Dispose();
        _file.Dispose();
    }
}
