using RaftKV.StateMachine.Commands;
using RaftKV.StateMachine.Configuration;
using RaftKV.StateMachine.Keyspace;
using RaftKV.StateMachine.Locks;
using RaftKV.StateMachine.Text;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// Reads a snapshot written by <see cref="SnapshotWriter"/> into a fresh store. Refuses anything that is
/// not a complete, intact snapshot with <see cref="SnapshotFormatException"/>: the checksum at the end is
/// verified before the store is handed out, so a corrupted or truncated snapshot is never half-loaded.
/// Reads exactly the snapshot's bytes; what follows in the stream is left unread (beyond one buffered chunk).
/// </summary>
public static class SnapshotReader
{
    public static SnapshotContents Read(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var reader = new SnapshotInput(input);
        Span<byte> magic = stackalloc byte[SnapshotLayout.Magic.Length];
        reader.ReadExactly(magic);
        if (!magic.SequenceEqual(SnapshotLayout.Magic))
        {
            throw new SnapshotFormatException("The stream is not a RaftKV snapshot (bad magic).");
        }

        var version = (ushort)(reader.ReadByte() | (reader.ReadByte() << 8));
        if (version is < SnapshotLayout.KeysOnlyVersion or > SnapshotLayout.FormatVersion)
        {
            throw new SnapshotFormatException(
                $"Unknown snapshot format version {version}; this node reads versions {SnapshotLayout.KeysOnlyVersion} to {SnapshotLayout.FormatVersion}.");
        }

        var index = reader.ReadInt64();
        var term = reader.ReadInt64();
        var now = reader.ReadInt64();
        var keyCount = reader.ReadInt64();
        if (keyCount < 0)
        {
            throw new SnapshotFormatException($"The snapshot is corrupted: key count {keyCount} is negative.");
        }

        var store = new KeyValueStore(now);
        if (version >= SnapshotLayout.ConfigVersion)
        {
            ReadConfig(reader, store.Config);
        }

        // Loaded values take the representations the snapshot's configuration gives them.
        using var limits = EncodingLimits.Use(store.Config.Limits);
        KeyEntry? previous = null;
        for (long i = 0; i < keyCount; i++)
        {
            var offset = reader.Consumed;
            var key = reader.ReadString(StringCommands.MaxStringLength);
            var kind = reader.ReadByte();
            var expireAt = reader.ReadInt64();
            if (expireAt < 0 && expireAt != KeyEntry.NoExpiry)
            {
                throw Corrupted($"key at byte {offset} has expiry {expireAt}");
            }

            var revision = version >= SnapshotLayout.RevisionsVersion ? reader.ReadInt64() : 0;
            if (revision < 0)
            {
                throw Corrupted($"key at byte {offset} has revision {revision}");
            }

            if (kind == (byte)ValueKind.Stream && version < SnapshotLayout.ConfigVersion)
            {
                throw Corrupted($"key at byte {offset} is a stream in a version {version} snapshot");
            }

            var entry = store.Keys.Put(key, ReadValue(reader, kind, offset, version), expireAt);
            store.Keys.LoadRevision(entry, revision);
            // Canonical order is what the writer produces; anything else (including a repeated key) is damage.
            if (previous is not null && KeyOrder.Instance.Compare(previous, entry) >= 0)
            {
                throw Corrupted($"key at byte {offset} is out of canonical order or repeated");
            }

            previous = entry;
        }

        if (version != SnapshotLayout.KeysOnlyVersion)
        {
            ReadLocks(reader, store.Locks);
        }

        if (version >= SnapshotLayout.RevisionsVersion)
        {
            ReadRevisions(reader, store.Keys);
        }

        if (version >= SnapshotLayout.ScriptsVersion)
        {
            ReadScripts(reader, store);
            FunctionSnapshot.Read(reader, store.Functions.Current);
        }

        if (version >= SnapshotLayout.SecretVersion)
        {
            var secret = reader.ReadString(Security.ClusterSecret.MaxLength);
            if (secret.Length > 0)
            {
                store.ClusterSecretState.Load(secret);
            }
        }

        if (version >= SnapshotLayout.AclVersion)
        {
            AclSnapshot.Read(reader, store.Acl);
        }

        var expected = reader.CurrentChecksum;
        Span<byte> stored = stackalloc byte[sizeof(ulong)];
        reader.ReadExactly(stored, checksummed: false);
        if (System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(stored) != expected)
        {
            throw new SnapshotFormatException("The snapshot is corrupted: its checksum does not match its contents.");
        }

        return new SnapshotContents(store, index, term);
    }

    private static void ReadConfig(SnapshotInput reader, RuntimeConfig config)
    {
        var count = reader.ReadCount("configuration size", ConfigParameters.All.Count);
        string? previous = null;
        for (var i = 0; i < count; i++)
        {
            var offset = reader.Consumed;
            var name = System.Text.Encoding.UTF8.GetString(reader.ReadString(256));
            var value = System.Text.Encoding.UTF8.GetString(reader.ReadString(StringCommands.MaxStringLength));
            // Ordinal name order is what the writer produces; anything else (including a repeated name) is damage.
            if ((previous is not null && string.CompareOrdinal(previous, name) >= 0) || !config.TryLoad(name, value))
            {
                throw Corrupted($"configuration parameter at byte {offset} is unknown, invalid, repeated or out of order");
            }

            previous = name;
        }
    }

    private static void ReadRevisions(SnapshotInput reader, KeyTable keys)
    {
        var horizon = reader.ReadInt64();
        var count = reader.ReadCount("tombstone count", Tombstones.Capacity);
        if (horizon < 0)
        {
            throw Corrupted($"tombstone horizon {horizon} is negative");
        }

        keys.Tombstones.LoadHorizon(horizon);
        for (var i = 0; i < count; i++)
        {
            var offset = reader.Consumed;
            var key = reader.ReadString(StringCommands.MaxStringLength);
            var revision = reader.ReadInt64();
            if (revision < 0 || keys.Find(key) is not null)
            {
                throw Corrupted($"tombstone at byte {offset} has revision {revision} out of range or names a stored key");
            }

            keys.Tombstones.Add(key, revision);
        }

        if (keys.Tombstones.Count != count)
        {
            throw Corrupted("a tombstone is repeated");
        }
    }

    private static void ReadScripts(SnapshotInput reader, KeyValueStore store)
    {
        var count = reader.ReadCount("script count", int.MaxValue);
        string? previous = null;
        for (var i = 0; i < count; i++)
        {
            var offset = reader.Consumed;
            var body = reader.ReadString(StringCommands.MaxStringLength);
            var sha = Scripting.Sha1Hex.Of(body);
            // Ordinal SHA1 order is what the writer produces; anything else (including a repeated script) is damage.
            if (previous is not null && string.CompareOrdinal(previous, sha) >= 0)
            {
                throw Corrupted($"script at byte {offset} is out of order or repeated");
            }

            store.Scripts.Cache.Add(sha, body);
            previous = sha;
        }
    }

    private static void ReadLocks(SnapshotInput reader, LockTable locks)
    {
        var lastToken = reader.ReadInt64();
        var lockCount = reader.ReadInt64();
        if (lastToken < 0 || lockCount < 0)
        {
            throw Corrupted($"last token {lastToken} or lock count {lockCount} is negative");
        }

        locks.LoadLastToken(lastToken);
        byte[]? previous = null;
        for (long i = 0; i < lockCount; i++)
        {
            var offset = reader.Consumed;
            var name = reader.ReadString(StringCommands.MaxStringLength);
            var owner = reader.ReadString(StringCommands.MaxStringLength);
            var token = reader.ReadInt64();
            var expireAt = reader.ReadInt64();
            var ttl = reader.ReadInt64();
            if (token < 1 || token > lastToken || ttl < 1 || ttl > LockTable.MaxTtlMs)
            {
                throw Corrupted($"lock at byte {offset} has token {token} or ttl {ttl} out of range");
            }

            // Name order is what the writer produces; anything else (including a repeated name) is damage.
            if (previous is not null && ByteStringComparer.Instance.Compare(previous, name) >= 0)
            {
                throw Corrupted($"lock at byte {offset} is out of order or repeated");
            }

            locks.Load(new LockEntry(name, owner, token, expireAt, ttl));
            previous = name;
        }
    }

    private static StoredValue ReadValue(SnapshotInput reader, byte kind, long offset, ushort version)
    {
        const long maxString = StringCommands.MaxStringLength;
        if (version >= SnapshotLayout.RepresentationsVersion && (ValueKind)kind is ValueKind.String or ValueKind.Set or ValueKind.Hash or ValueKind.SortedSet)
        {
            return CollectionSnapshotReader.Read(reader, (ValueKind)kind, offset);
        }

        switch ((ValueKind)kind)
        {
            case ValueKind.String:
                return StringValue.Of(reader.ReadString(maxString));
            case ValueKind.List:
                {
                    var list = new ListValue();
                    for (var n = reader.ReadCount("list length", int.MaxValue); n > 0; n--)
                    {
                        list.PushBack(reader.ReadString(maxString));
                    }

                    return list;
                }

            case ValueKind.Set:
                {
                    var set = new SetValue();
                    for (var n = reader.ReadCount("set size", int.MaxValue); n > 0; n--)
                    {
                        if (!set.Add(reader.ReadString(maxString)))
                        {
                            throw Corrupted($"set at byte {offset} repeats a member");
                        }
                    }

                    return set;
                }

            case ValueKind.Hash:
                {
                    var hash = new HashValue();
                    for (var n = reader.ReadCount("hash size", int.MaxValue); n > 0; n--)
                    {
                        var field = reader.ReadString(maxString);
                        var value = reader.ReadString(maxString);
                        hash.ConvertIfAnyLong([field, value]);
                        if (!hash.Set(field, value))
                        {
                            throw Corrupted($"hash at byte {offset} repeats a field");
                        }
                    }

                    return hash;
                }

            case ValueKind.SortedSet:
                {
                    var size = reader.ReadCount("sorted set size", int.MaxValue);
                    var zset = SortedSetValue.Create(size, 0);
                    for (var n = size; n > 0; n--)
                    {
                        var member = reader.ReadString(maxString);
                        var score = reader.ReadDouble();
                        if (double.IsNaN(score) || !zset.Set(member, score))
                        {
                            throw Corrupted($"sorted set at byte {offset} has a NaN score or a repeated member");
                        }
                    }

                    return zset;
                }

            case ValueKind.Stream:
                return StreamSnapshotReader.Read(reader, offset);

            default:
                throw Corrupted($"key at byte {offset} has unknown type tag {kind}");
        }
    }

    private static SnapshotFormatException Corrupted(string detail) => new("The snapshot is corrupted: " + detail + ".");
}
