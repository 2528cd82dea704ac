using RaftKV.StateMachine.Values.Streams;

namespace RaftKV.StateMachine.Commands.Streams;

/// <summary>
/// A consumer group's logical read counter and lag, as Redis 7.0 keeps and estimates them (streamRangeHasTombstones,
/// streamEstimateDistanceFromFirstEverEntry, streamReplyWithCGLag).
/// </summary>
internal static class StreamCounters
{
    /// <summary>True when a deleted entry may lie in [<paramref name="start"/>, end of stream].</summary>
    public static bool HasTombstones(StreamValue stream, StreamId start)
    {
        if (stream.Count == 0 || stream.MaxDeletedId.IsZero || stream.FirstId > stream.MaxDeletedId)
        {
            return false;
        }

        return start <= stream.MaxDeletedId;
    }

    /// <summary>The number of entries from the first ever added up to <paramref name="id"/>, or null when not known.</summary>
    public static long? DistanceFromFirst(StreamValue stream, StreamId id)
    {
        if (stream.EntriesAdded == 0)
        {
            return 0;
        }

        if (stream.Count == 0 && id <= stream.LastId)
        {
            return stream.EntriesAdded;
        }

        var byLast = id.CompareTo(stream.LastId);
        if (byLast == 0)
        {
            return stream.EntriesAdded;
        }

        if (byLast > 0)
        {
            return null;
        }

        if (stream.MaxDeletedId.IsZero || stream.MaxDeletedId < stream.FirstId)
        {
            var byFirst = id.CompareTo(stream.FirstId);
            if (byFirst < 0)
            {
                return stream.EntriesAdded - stream.Count;
            }

            if (byFirst == 0)
            {
                return stream.EntriesAdded - stream.Count + 1;
            }
        }

        return null;
    }

    /// <summary>The group's lag (entries not yet delivered), or null when fragmentation makes it unknown.</summary>
    public static long? Lag(StreamValue stream, StreamGroup group)
    {
        if (stream.EntriesAdded == 0)
        {
            return 0;
        }

        if (group.EntriesRead != StreamGroup.InvalidEntriesRead && !HasTombstones(stream, group.LastId))
        {
            return stream.EntriesAdded - group.EntriesRead;
        }

        return DistanceFromFirst(stream, group.LastId) is { } read ? stream.EntriesAdded - read : null;
    }

    /// <summary>Moves the group's last delivered id to <paramref name="id"/>, keeping its read counter (streamReplyWithRange).</summary>
    public static void Deliver(StreamValue stream, StreamGroup group, StreamId id)
    {
        if (group.EntriesRead != StreamGroup.InvalidEntriesRead && !HasTombstones(stream, id))
        {
            group.EntriesRead++;
        }
        else if (stream.EntriesAdded != 0)
        {
            group.EntriesRead = DistanceFromFirst(stream, id) ?? StreamGroup.InvalidEntriesRead;
        }

        group.LastId = id;
    }
}
