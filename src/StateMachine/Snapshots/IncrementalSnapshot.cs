using RaftKV.StateMachine.Keyspace;

namespace RaftKV.StateMachine.Snapshots;

/// <summary>
/// A snapshot of a store at one moment, written in slices while entries keep being applied between them
/// (<see cref="KeyValueStore.BeginSnapshot"/>). The bytes are exactly those <see cref="SnapshotWriter.Write"/> gives
/// for the store as it was at the start. The header, the configuration, the lock table, the function libraries and the cluster secret are taken at the start
/// (they are small); keys are copied on write, at key granularity (<see cref="FrozenKeyspace"/>).
/// <para>
/// Threading: <see cref="Advance"/> and <see cref="Abandon"/> need the same exclusion from applies as
/// <see cref="KeyValueStore.Apply(Log.LogCommand, long)"/> (reads may run alongside). <see cref="Drain"/> needs none:
/// call it outside the lock, from the same thread as <see cref="Advance"/>, to keep I/O out of the critical section.
/// </para>
/// </summary>
public sealed class IncrementalSnapshot
{
    private readonly KeyTable _keys;
    private readonly FrozenKeyspace _frozen;
    private readonly PendingBytes _pending = new();
    private readonly SnapshotOutput _output;
    private readonly byte[]? _locks;
    private readonly byte[]? _revisions;
    private readonly byte[]? _scripts;
    private readonly byte[]? _functions;
    private readonly byte[]? _secret;
    private readonly byte[]? _acl;
    private long _keysWritten;

    internal IncrementalSnapshot(KeyValueStore store, long index, long term)
    {
        _keys = store.Keys;
        _frozen = _keys.Freeze();
        Index = index;
        Term = term;
        KeyCount = store.KeyCount;
        var version = SnapshotEncoding.VersionFor(store);
        _locks = version == SnapshotLayout.KeysOnlyVersion ? null : SnapshotEncoding.EncodeLocks(store.Locks);
        _revisions = version >= SnapshotLayout.RevisionsVersion ? SnapshotEncoding.EncodeRevisions(store.Keys) : null;
        _scripts = version >= SnapshotLayout.ScriptsVersion ? SnapshotEncoding.EncodeScripts(store) : null;
        _functions = version >= SnapshotLayout.ScriptsVersion ? FunctionSnapshot.Encode(store.Functions.Current) : null;
        _secret = version >= SnapshotLayout.SecretVersion ? SnapshotEncoding.EncodeSecret(store) : null;
        _acl = version >= SnapshotLayout.AclVersion ? AclSnapshot.Encode(store.Acl.Current) : null;
        _output = new SnapshotOutput(_pending);
        SnapshotEncoding.WriteHeader(_output, version, index, term, store.Now, KeyCount);
        if (version >= SnapshotLayout.ConfigVersion)
        {
            SnapshotEncoding.WriteConfig(_output, store.Config);
        }
    }

    public long Index { get; }

    public long Term { get; }

    /// <summary>Keys at the start (the snapshot holds exactly these).</summary>
    public long KeyCount { get; }

    /// <summary>True once every byte, checksum included, has been produced (some may still wait for <see cref="Drain"/>).</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Keys whose state at the start had to be saved because a write reached them before the snapshot did.</summary>
    public long PreImagesSaved => _frozen.PreImagesSaved;

    /// <summary>
    /// Produces the next slice: the keys of about <paramref name="targetKeys"/> positions' worth of the canonical order
    /// (fewer or more, as the keys fall), and after the last one the lock table, the function libraries, the cluster secret and the checksum. Returns true when
    /// the snapshot is complete; copy-on-write has then ended.
    /// </summary>
    public bool Advance(int targetKeys)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetKeys, 1);
        if (IsComplete)
        {
            return true;
        }

        // Positions are a 64-bit hash, spread evenly: a range of 2^64 * target / count positions holds about target keys.
        var width = KeyCount <= targetKeys ? 0 : (ulong)(((UInt128)ulong.MaxValue * (ulong)targetKeys) / (ulong)KeyCount);
        _keysWritten += _frozen.WriteNext(width, _output);
        if (!_frozen.IsWritten)
        {
            return false;
        }

        _keys.Thaw(_frozen);
        if (_keysWritten != KeyCount)
        {
            // A change reached the keyspace without passing through KeyTable first: the file would be wrong.
            throw new InvalidOperationException(
                $"The snapshot wrote {_keysWritten} keys where the store held {KeyCount} at its start; a change bypassed copy-on-write.");
        }

        if (_locks is not null)
        {
            _output.WriteBytes(_locks);
        }

        if (_revisions is not null)
        {
            _output.WriteBytes(_revisions);
        }

        if (_scripts is not null)
        {
            _output.WriteBytes(_scripts);
        }

        if (_functions is not null)
        {
            _output.WriteBytes(_functions);
        }

        if (_secret is not null)
        {
            _output.WriteBytes(_secret);
        }

        if (_acl is not null)
        {
            _output.WriteBytes(_acl);
        }

        _output.Finish();
        IsComplete = true;
        return true;
    }

    /// <summary>Bytes produced by the slices so far (the header included), drained or not; for sizing the next slice.</summary>
    public long BytesProduced => _output.Written;

    /// <summary>Moves the bytes produced so far to <paramref name="destination"/>.</summary>
    public void Drain(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _pending.DrainTo(destination);
    }

    /// <summary>Stops copy-on-write without finishing (the bytes produced so far are not a snapshot).</summary>
    public void Abandon() => _keys.Thaw(_frozen);
}
