using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>HRANDFIELD (fields chosen in canonical ordinal order) and HSCAN.</summary>
internal static class HashRandomCommands
{
    public static Reply RandomField(KeyTable keys, byte[][] args, long now, DeterministicRandom random)
    {
        long count = 0;
        var withValues = false;
        if (args.Length >= 2 && !RandomChoice.TryParseCount(args, "WITHVALUES"u8, out count, out withValues, out var error))
        {
            return error!;
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        if (args.Length == 1)
        {
            return hash is null ? Reply.Null : Reply.Bulk(hash.OrdinalFields()[random.Next(hash.Count)]);
        }

        if (hash is null || count == 0)
        {
            return Reply.EmptyArray;
        }

        List<KeyValuePair<byte[], byte[]>> chosen;
        if (count >= hash.Count)
        {
            chosen = hash.Pairs();
        }
        else
        {
            // Only the chosen fields' values are looked up.
            var fields = hash.OrdinalFields();
            var positions = count < 0
                ? RandomChoice.WithRepetition(fields.Count, -count, random)
                : RandomChoice.Distinct(fields.Count, (int)count, random);
            chosen = [.. positions.Select(i => new KeyValuePair<byte[], byte[]>(fields[i], hash.TryGet(fields[i], out var value) ? value : []))];
        }

        if (withValues)
            return new PairsReply([.. chosen.Select(static p => new KeyValuePair<Reply, Reply>(Reply.Bulk(p.Key), Reply.Bulk(p.Value)))]);
        return Reply.Array([.. chosen.Select(static p => Reply.Bulk(p.Key))]);
    }

    public static Reply Scan(KeyTable keys, byte[][] args, long now)
    {
        if (!ElementScan.TryParseCursor(args[1], out var cursor, out var error))
        {
            return error!;
        }

        if (!TypedEntry.TryAs(keys.FindLive(args[0], now), out HashValue? hash))
        {
            return TypedEntry.WrongType;
        }

        if (hash is null)
        {
            return ElementScan.EmptyScan;
        }

        return hash.Encoding == "listpack"
            ? ElementScan.Whole(args, hash.Pairs(), p => p.Key, p => [Reply.Bulk(p.Key), Reply.Bulk(p.Value)])
            : ElementScan.Walk(args, cursor, hash.ScanIndex(), f => hash.TryGet(f, out var value) ? [Reply.Bulk(f), Reply.Bulk(value)] : []);
    }
}
