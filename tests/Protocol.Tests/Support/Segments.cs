using System.Buffers;

namespace RaftKV.Protocol.Tests.Support;

/// <summary>
/// Builds multi-segment sequences. Every segment gets its own array, so a reader that strays past a
/// segment's end fails instead of silently reading the neighbour's bytes.
/// </summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Build(params byte[][] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0].ToArray(), null);
        Segment last = first;
        for (int i = 1; i < parts.Length; i++)
        {
            last = new Segment(parts[i].ToArray(), last);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public static ReadOnlySequence<byte> SplitAt(byte[] data, int offset) =>
        Build(data[..offset], data[offset..]);

    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] data) =>
        data.Length == 0 ? ReadOnlySequence<byte>.Empty : Build(data.Select(b => new[] { b }).ToArray());

    /// <summary>
    /// The ways every parser input is replayed: whole, split in two at every offset (empty halves
    /// included) and one byte per segment. Each item names its shape for failure messages.
    /// </summary>
    public static IEnumerable<(string Shape, ReadOnlySequence<byte> Sequence)> Shapes(byte[] data)
    {
        yield return ("whole", new ReadOnlySequence<byte>(data.ToArray()));
        for (int offset = 0; offset <= data.Length; offset++)
        {
            yield return ($"split at {offset}", SplitAt(data, offset));
        }

        yield return ("one byte per segment", OneBytePerSegment(data));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, Segment? previous)
        {
            Memory = data;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
