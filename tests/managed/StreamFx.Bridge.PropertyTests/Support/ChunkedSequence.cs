using System.Buffers;

namespace StreamFx.Bridge.PropertyTests.Support;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/>: bytes as they might arrive from a socket, in pieces.</summary>
public static class ChunkedSequence
{
    public static ReadOnlySequence<byte> Create(byte[] bytes, IReadOnlyList<int> cuts)
    {
        var points = cuts.Where(c => c > 0 && c < bytes.Length).Distinct().Order().ToList();
        if (points.Count == 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes.AsMemory(0, points[0]), 0);
        Segment last = first;
        for (int i = 0; i < points.Count; i++)
        {
            int start = points[i];
            int end = i + 1 < points.Count ? points[i + 1] : bytes.Length;
            last = last.Append(bytes.AsMemory(start, end - start));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
