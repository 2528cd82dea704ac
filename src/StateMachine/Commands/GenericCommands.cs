using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Numbers;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Commands;

/// <summary>OBJECT, TOUCH, COPY and RANDOMKEY with Redis 7.0 semantics (RaftKV has one database, 0).</summary>
internal static class GenericCommands
{
    /// <summary>Redis shares the string objects of 0..9999 and reports them as immortal.</summary>
    private const long SharedIntegers = 10000;

    private static readonly Reply ObjectHelp = Reply.Array(
        [.. new[]
        {
            "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
            "HELP",
            "    Prints this help.",
        }.Select(Reply.Simple)]);

    /// <summary>
    /// OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ|HELP, without counting as an access. IDLETIME is the whole seconds since the
    /// key was last read or written (on this node: see <see cref="KeyEntry.Touch"/>), Redis's error under an LFU policy; FREQ is the key's
    /// <see cref="KeyEntry.Frequency"/>, decayed, under an LFU maxmemory-policy (<paramref name="lfu"/>), else Redis's error.
    /// </summary>
    public static Reply Object(KeyTable keys, byte[][] args, long now, Eviction.LfuSettings? lfu)
    {
        var sub = args[0];
        if (Keyword.Is(sub, "HELP"u8) && args.Length == 1)
        {
            return ObjectHelp;
        }

        string? name = Keyword.Is(sub, "ENCODING"u8) ? "encoding"
            : Keyword.Is(sub, "REFCOUNT"u8) ? "refcount"
            : Keyword.Is(sub, "IDLETIME"u8) ? "idletime"
            : Keyword.Is(sub, "FREQ"u8) ? "freq"
            : Keyword.Is(sub, "HELP"u8) ? "help"
            : null;
        if (name is null)
        {
            return Reply.Error(ErrorTexts.UnknownSubcommand(sub, "OBJECT"));
        }

        if (args.Length != 2)
        {
            return Reply.Error(ErrorTexts.WrongArity("object|" + name));
        }

        var entry = keys.Peek(args[1], now);
        if (entry is null)
        {
            return Reply.Null;
        }

        return name switch
        {
            "encoding" => Reply.Bulk(entry.Value.Encoding),
            "refcount" => Reply.Integer(
                entry.Value is StringValue { Encoding: "int" } s && RedisIntegers.TryParse(s.Bytes, out var v) && v >= 0 && v < SharedIntegers
                    ? int.MaxValue
                    : 1),
            "idletime" when lfu is not null => Reply.Error(ErrorTexts.LfuPolicySelected),
            "idletime" => Reply.Integer(entry.IdleSeconds(now)),
            _ when lfu is not null => Reply.Integer(entry.LfuCount(now, lfu.DecayMinutes)),
            _ => Reply.Error(ErrorTexts.NoLfuPolicy),
        };
    }

    /// <summary>TOUCH: the number of live keys among the arguments, each accessed now.</summary>
    public static Reply Touch(KeyTable keys, byte[][] args, long now)
    {
        long count = 0;
        foreach (var key in args)
        {
            count += keys.FindLive(key, now) is null ? 0 : 1;
        }

        return Reply.Integer(count);
    }

    public static Reply Copy(KeyTable keys, byte[][] args, long now)
    {
        var replace = false;
        for (var i = 2; i < args.Length; i++)
        {
            if (Keyword.Is(args[i], "REPLACE"u8))
            {
                replace = true;
            }
            else if (Keyword.Is(args[i], "DB"u8) && i + 1 < args.Length)
            {
                if (!RedisIntegers.TryParse(args[++i], out var db) || db is < int.MinValue or > int.MaxValue)
                {
                    return Reply.Error(ErrorTexts.NotInteger);
                }

                if (db != 0)
                {
                    return Reply.Error(ErrorTexts.DbIndexOutOfRange);
                }
            }
            else
            {
                return Reply.Error(ErrorTexts.Syntax);
            }
        }

        if (ByteStringComparer.Instance.Equals(args[0], args[1]))
        {
            return Reply.Error(ErrorTexts.SameObject);
        }

        // The source is only read; a destination that exists without REPLACE is left as it was (Redis signals neither).
        var source = KeySources.Find(keys, args[0], now, applyingWrite: true);
        if (source is null)
        {
            return Reply.Zero;
        }

        if (keys.FindForWriteUnless(args[1], now, _ => !replace) is not null)
        {
            if (!replace)
            {
                return Reply.Zero;
            }

            // As Redis: the replaced key is deleted, then the copy added (a "new" key).
            keys.Remove(args[1]);
        }

        keys.Put(args[1], source.Value.Clone(), source.ExpireAtMs);
        keys.Notify(KeyspaceEvents.Generic, "copy_to", args[1]);
        return Reply.One;
    }

    /// <summary>
    /// RANDOMKEY: a live key chosen by <paramref name="random"/> in canonical key order; nil when there is none. A key is
    /// drawn among all keys and drawn again while it has expired (each draw a walk over the order's leaves), as Redis's
    /// dbRandomKey draws; listing every live key made each call O(keys): 1M keys, an 8 MB list per call. After
    /// <see cref="RandomKeyDraws"/> expired draws the choice is made among the live keys listed.
    /// </summary>
    public static Reply RandomKey(KeyTable keys, long now, DeterministicRandom random)
    {
        for (var draw = 0; draw < RandomKeyDraws && keys.Count > 0; draw++)
        {
            var entry = keys.EntryAt(random.Next(keys.Count));
            if (!entry.IsExpiredAt(now))
            {
                return Reply.Bulk(entry.Key);
            }
        }

        var live = keys.InOrder().Where(entry => !entry.IsExpiredAt(now)).ToList();
        return live.Count == 0 ? Reply.Null : Reply.Bulk(live[random.Next(live.Count)].Key);
    }

    private const int RandomKeyDraws = 100;
}
