using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// Reads a string, set, hash or sorted set from a version 6 snapshot (<see cref="StoredValue.WriteSnapshot"/>): its
/// representation, then its bytes or members, loaded in that representation whatever the encoding limits are now.
/// </summary>
internal static class CollectionSnapshotReader
{
    // A count is read before the bytes that prove it (the checksum is at the end): lists grow from this, never from it.
    private const int Preallocated = 1024;

    public static StoredValue Read(SnapshotInput reader, ValueKind kind, long offset)
    {
        const long maxString = StringCommands.MaxStringLength;
        var representation = reader.ReadByte();
        if (kind == ValueKind.String)
        {
            return representation <= (byte)StringEncoding.Raw
                ? StringValue.Of(reader.ReadString(maxString), (StringEncoding)representation)
                : throw Corrupted(offset, $"has an unknown string encoding {representation}");
        }

        if (representation > 1)
        {
            throw Corrupted(offset, $"has an unknown representation {representation}");
        }

        var small = representation == 0;
        switch (kind)
        {
            case ValueKind.Set:
                {
                    var count = reader.ReadCount("set size", int.MaxValue);
                    var members = new List<byte[]>(Math.Min(count, Preallocated));
                    for (var i = 0; i < count; i++)
                    {
                        members.Add(reader.ReadString(maxString));
                    }

                    return SetValue.Load(small, members) ?? throw Corrupted(offset, "repeats a member or holds a non-integer in an intset");
                }

            case ValueKind.Hash:
                {
                    var count = 2 * reader.ReadCount("hash size", int.MaxValue / 2);
                    var pairs = new List<byte[]>(Math.Min(count, Preallocated));
                    for (var i = 0; i < count; i++)
                    {
                        pairs.Add(reader.ReadString(maxString));
                    }

                    return HashValue.Load(small, [.. pairs]) ?? throw Corrupted(offset, "repeats a field");
                }

            default:
                {
                    var count = reader.ReadCount("sorted set size", int.MaxValue);
                    var members = new List<ScoredMember>(Math.Min(count, Preallocated));
                    for (var i = 0; i < count; i++)
                    {
                        var member = reader.ReadString(maxString);
                        members.Add(new ScoredMember(member, reader.ReadDouble()));
                    }

                    return SortedSetValue.Load(small, members) ?? throw Corrupted(offset, "has a NaN score or a repeated member");
                }
        }
    }

    private static SnapshotFormatException Corrupted(long offset, string detail) =>
        new($"The snapshot is corrupted: key at byte {offset} {detail}.");
}
