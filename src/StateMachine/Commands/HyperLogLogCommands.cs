using System.Globalization;
using System.Text;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.HyperLogLog;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>
/// PFADD, PFCOUNT, PFMERGE and PFDEBUG on string values in Redis's HLL format (<see cref="HllFormat"/>), byte for byte:
/// GET of an HLL built here equals redis-server's for the same PFADD/PFMERGE calls, and a string made by redis-server is
/// accepted here.
/// <para>
/// The cached cardinality: Redis's PFCOUNT stores the count it computes into the string (and propagates that write).
/// Here PFCOUNT is a read served on the leader, which must not change replicated state outside the log, so it computes
/// the count when the cache is stale and stores nothing. PFADD and PFMERGE mark the cache stale exactly as Redis does
/// (they do not compute a count at apply, which would make the string differ from Redis's after the same writes). So a
/// GET after PFADDs matches redis-server; after a PFCOUNT, redis-server's string would carry the count with the stale
/// bit cleared while ours keeps the stale bit: both are valid HLLs with the same registers and the same PFCOUNT answer.
/// </para>
/// </summary>
internal static class HyperLogLogCommands
{
    public const string NotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
    public const string Corrupt = "INVALIDOBJ Corrupted HLL object detected";

    /// <summary>PFADD key [element ...]: 1 when the key was created or a register changed.</summary>
    /// <param name="sparseMaxBytes">hll-sparse-max-bytes; replicated configuration when CONFIG SET supports it.</param>
    public static Reply Add(KeyTable keys, byte[][] args, long now, int sparseMaxBytes)
    {
        // Registers are raised in a copy of the string first: a PFADD that raises none changes nothing (Redis signals no
        // change), so the key is opened for writing only when one is.
        if (!TryOpen(keys.Peek(args[0], now), out var hll, out var error))
        {
            keys.FindUnchanged(args[0], now);
            return error!;
        }

        var updated = hll is null;
        hll ??= HllFormat.CreateEmpty();
        for (var i = 1; i < args.Length; i++)
        {
            var (index, count) = HllFormat.Locate(args[i]);
            var result = HllFormat.IsSparse(hll)
                ? HllSparse.Set(ref hll, index, count, sparseMaxBytes)
                : HllDense.Raise(hll.AsSpan(HllFormat.HeaderSize), index, count) ? 1 : 0;
            if (result < 0)
            {
                // Redis keeps the registers raised before the corrupt opcode; here a failed command changes nothing.
                keys.FindUnchanged(args[0], now);
                return Reply.Error(Corrupt);
            }

            updated |= result == 1;
        }

        if (!updated)
        {
            keys.FindUnchanged(args[0], now);
            return Reply.Zero;
        }

        var entry = keys.FindForWrite(args[0], now);
        HllFormat.InvalidateCache(hll);
        keys.Put(args[0], StringValue.Of(hll, StringEncoding.Raw), entry?.ExpireAtMs ?? KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.String, "pfadd", args[0]);
        return Reply.One;
    }

    /// <summary>
    /// PFCOUNT key [key ...]: a read. One key: its cached count when valid, else computed (and not stored, see the
    /// class comment). Several keys: the count of their union.
    /// </summary>
    public static Reply Count(KeyTable keys, byte[][] args, long now)
    {
        if (args.Length > 1)
        {
            var max = new byte[HllFormat.Registers];
            if (MergeSources(keys, args, 0, now, max, out _) is { } mergeError)
            {
                return mergeError;
            }

            Span<int> histogram = stackalloc int[64];
            foreach (var value in max)
            {
                histogram[value]++;
            }

            return Reply.Integer((long)HllEstimator.Estimate(histogram));
        }

        var entry = keys.FindLive(args[0], now);
        if (!TryOpen(entry, out var hll, out var error))
        {
            return error!;
        }

        if (hll is null)
        {
            return Reply.Zero;
        }

        if (HllFormat.TryGetCachedCardinality(hll, out var cached))
        {
            return Reply.Integer((long)cached);
        }

        return HllCounting.Count(hll) is { } cardinality ? Reply.Integer((long)cardinality) : Reply.Error(Corrupt);
    }

    /// <summary>PFMERGE dest [source ...]: dest (itself a source) gets the registerwise maximum; dense if any input is.</summary>
    public static Reply Merge(KeyTable keys, byte[][] args, long now, int sparseMaxBytes)
    {
        var max = new byte[HllFormat.Registers];
        if (MergeSources(keys, args, 0, now, max, out var anyDense) is { } mergeError)
        {
            return mergeError;
        }

        var entry = keys.FindForWrite(args[0], now);
        var hll = entry?.Value is StringValue s ? s.Bytes.ToArray() : HllFormat.CreateEmpty();
        if (anyDense && HllFormat.IsSparse(hll))
        {
            if (!HllSparse.TryToDense(hll, out var dense))
            {
                return Reply.Error(Corrupt);
            }

            hll = dense;
        }

        for (var i = 0; i < max.Length; i++)
        {
            if (max[i] == 0)
            {
                continue;
            }

            if (HllFormat.IsSparse(hll))
            {
                HllSparse.Set(ref hll, i, max[i], sparseMaxBytes);
            }
            else
            {
                HllDense.Raise(hll.AsSpan(HllFormat.HeaderSize), i, max[i]);
            }
        }

        HllFormat.InvalidateCache(hll);
        keys.Put(args[0], StringValue.Of(hll, StringEncoding.Raw), entry?.ExpireAtMs ?? KeyEntry.NoExpiry);
        keys.Notify(KeyspaceEvents.String, "pfadd", args[0]);
        return Reply.Ok;
    }

    /// <summary>PFDEBUG GETREG|DECODE|ENCODING|TODENSE key. GETREG and TODENSE make a sparse HLL dense, as in Redis.</summary>
    public static Reply Debug(KeyTable keys, byte[][] args, long now)
    {
        var entry = keys.FindForWrite(args[1], now);
        if (entry is null)
        {
            return Reply.Error("ERR The specified key does not exist");
        }

        if (!TryOpen(entry, out var hll, out var error))
        {
            return error!;
        }

        var sub = Encoding.UTF8.GetString(args[0]).ToUpperInvariant();
        switch (sub)
        {
            case "GETREG" or "TODENSE":
                var converted = false;
                if (HllFormat.IsSparse(hll!))
                {
                    if (!HllSparse.TryToDense(hll!, out var dense))
                    {
                        return Reply.Error(Corrupt);
                    }

                    hll = dense;
                    converted = true;
                    keys.Put(args[1], StringValue.Of(hll, StringEncoding.Raw), entry.ExpireAtMs);
                }

                if (sub == "TODENSE")
                {
                    return converted ? Reply.One : Reply.Zero;
                }

                var registers = new Reply[HllFormat.Registers];
                for (var i = 0; i < registers.Length; i++)
                {
                    registers[i] = Reply.Integer(HllDense.Get(hll.AsSpan(HllFormat.HeaderSize), i));
                }

                return Reply.Array(registers);
            case "DECODE":
                return HllFormat.IsSparse(hll!) ? Reply.Bulk(HllSparse.Decode(hll)) : Reply.Error("ERR HLL encoding is not sparse");
            case "ENCODING":
                return Reply.Simple(HllFormat.IsSparse(hll!) ? "sparse" : "dense");
            default:
                return Reply.Error(string.Create(CultureInfo.InvariantCulture, $"ERR Unknown PFDEBUG subcommand '{Encoding.UTF8.GetString(args[0])}'"));
        }
    }

    /// <summary>Folds the HLLs at args[from..] into <paramref name="max"/>; an error reply for a wrong type or corrupt HLL.</summary>
    private static Reply? MergeSources(KeyTable keys, byte[][] args, int from, long now, byte[] max, out bool anyDense)
    {
        anyDense = false;
        for (var i = from; i < args.Length; i++)
        {
            if (!TryOpen(keys.FindLive(args[i], now), out var hll, out var error))
            {
                return error;
            }

            if (hll is null)
            {
                continue;
            }

            if (!HllFormat.IsSparse(hll))
            {
                anyDense = true;
                HllDense.MergeInto(hll.AsSpan(HllFormat.HeaderSize), max);
            }
            else if (!HllSparse.MergeInto(hll, max))
            {
                return Reply.Error(Corrupt);
            }
        }

        return null;
    }

    /// <summary>
    /// The HLL bytes of a key as a private copy to modify: null for a missing key; false with WRONGTYPE for another type
    /// or a string that is not an HLL.
    /// </summary>
    private static bool TryOpen(KeyEntry? entry, out byte[]? hll, out Reply? error)
    {
        hll = null;
        error = null;
        if (entry is null)
        {
            return true;
        }

        if (entry.Value is not StringValue s)
        {
            error = TypedEntry.WrongType;
            return false;
        }

        if (!HllFormat.HasValidHeader(s.Span))
        {
            error = Reply.Error(NotHll);
            return false;
        }

        hll = s.Span.ToArray();
        return true;
    }
}
