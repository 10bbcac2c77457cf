using System.IO.MemoryMappedFiles;
using System.Runtime.Versioning;

namespace StreamFx.Bridge;

/// <summary>
/// Linux: the region is the POSIX shared-memory object /dev/shm/streamfx-&lt;hex&gt;; its file size
/// is the exact region size.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed unsafe class UnixFrameRegionMapping : IFrameRegionMapping
{
    public const string ShmDirectory = "/dev/shm";

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _pointer;

    private UnixFrameRegionMapping(MemoryMappedFile file, MemoryMappedViewAccessor view, long size)
    {
        _file = file;
        _view = view;
        Size = size;
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
    }

    public byte* Pointer => _pointer;
    public long Size { get; }
    public long SizeSlack => 0;

    /// <summary>Opens /dev/shm/&lt;name&gt; read-write. Refuses links and non-regular files.</summary>
    public static UnixFrameRegionMapping Open(string name) => OpenPath(Path.Combine(ShmDirectory, FrameRegionName.Normalize(name)));

    /// <summary>Opens a region file at an explicit path (tests create regions in other folders too).</summary>
    public static UnixFrameRegionMapping OpenPath(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"frame region '{path}' does not exist", path);
        }

        if (info.LinkTarget is not null)
        {
            throw new IOException($"frame region '{path}' is a symbolic link; refusing to follow it");
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        MemoryMappedFile? file = null;
        try
        {
            long size = stream.Length;
            if (size < ProtocolLayout.HeaderSize)
            {
                throw new ProtocolViolationException("region size", $">= {ProtocolLayout.HeaderSize} bytes", $"{size} bytes");
            }

            // The mapping owns the stream from here on (leaveOpen: false).
            file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            var view = file.CreateViewAccessor(0, size, MemoryMappedFileAccess.ReadWrite);
            return new UnixFrameRegionMapping(file, view, size);
        }
        catch
        {
            if (file is not null)
            {
                file.Dispose();
            }
            else
            {
                stream.Dispose();
            }

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
