using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;

namespace RaftKV.Node.PubSub;

/// <summary>
/// The changes this node applied, for the gRPC Watch stream: each applied command's changed keys become events
/// stamped with the command's revision (identical on every node), kept in log order in a history whose heap is bounded
/// by WatchHistoryBytes (<see cref="WatchHistory"/>: encoded in reused byte chunks, so the bound is the heap it holds).
/// Fed under the state machine's write lock, right after each command's apply (so the value an event carries is the
/// key's value at that revision); read by any number of watchers, each at its own position. What happened before this
/// node started, or was trimmed, is unknown: a watcher asking for it is told so (<see cref="Read"/>'s floor), as etcd
/// answers "compacted".
/// </summary>
internal sealed class WatchHub(IOptions<NodeOptions> options, Raft.RaftHost raft) : IHostedService
{
    /// <summary>
    /// One change of one key, as a watcher reads it (made from the history on each read: the watcher owns it).
    /// <see cref="Flushed"/> marks a change of the whole keyspace (no key).
    /// </summary>
    public sealed record Change(long Revision, byte[] Key, bool Deleted, byte[]? Value, bool Exists, byte[]? Previous, bool HasPrevious, bool Flushed);

    /// <summary>
    /// A key after a change: whether it exists, and its value when it holds a string (<paramref name="hasValue"/>), valid
    /// until the state changes again (the history copies it at once), and the same bytes as memory that never changes
    /// when the value has one (<paramref name="held"/>; empty otherwise), which the history may keep instead of a copy. A
    /// long value may come as <paramref name="held"/> alone (<paramref name="value"/> empty).
    /// </summary>
    public delegate bool View(byte[] key, out ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> held, out bool hasValue);

    /// <summary>
    /// The string value the key at <paramref name="index"/> of a change's keys held before the command (the previous
    /// value, prev_kv), as <see cref="View"/> gives one; false when it held none (absent, another type, cleared by a flush
    /// in the same command, or expired when the key <paramref name="exists"/> after the command: created anew).
    /// </summary>
    public delegate bool Before(int index, bool exists, out ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> held);

    private readonly long _limit = Math.Max(1 << 20, options.Value.WatchHistoryBytes);
    private readonly Lock _gate = new();
    private readonly WatchHistory _history = new();
    // The keys of the change being recorded (a command naming several), kept for the next one: under _gate.
    private readonly HashSet<byte[]> _seen = new(StateMachine.Text.ByteStringComparer.Instance);
    private long _floor = long.MaxValue;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _handedOut;

    /// <summary>The revision below which this node's history is incomplete; changes after it are all kept.</summary>
    public long Floor
    {
        get
        {
            lock (_gate)
                return _floor;
        }
    }

    /// <summary>The heap the history of changes holds: like Redis's replication backlog, not counted for maxmemory eviction.</summary>
    public long HeldBytes
    {
        get
        {
            lock (_gate)
                return _history.HeldBytes;
        }
    }

    /// <summary>The revision of the last change recorded (the floor when none).</summary>
    public long Revision
    {
        get
        {
            lock (_gate)
                return _history.IsEmpty ? _floor : _history.LastRevision;
        }
    }

    /// <summary>
    /// Attaches to the state machine (started by then: RaftHost starts first), and sets where the history starts: the
    /// last revision of the state applied so far (a snapshot and the log replayed after it), unless an apply since the
    /// attachment already set it.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var machine = raft.StateMachine;
        machine.Watch = this;
        // Nothing applied yet (the log is replayed after this): every change will be seen.
        var applied = machine.AppliedIndex;
        var revision = applied == 0 ? 0 : (applied + 1) * StateMachine.KeyValueStore.RevisionsPerEntry - 1;
        lock (_gate)
        {
            if (_floor == long.MaxValue)
                _floor = revision;
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>One applied command changed <paramref name="keys"/> (repeats allowed) at <paramref name="revision"/>.</summary>
    /// <param name="view">The key after the change: whether it exists, and its value when it holds a string.</param>
    /// <param name="before">The key's string value before the command, by its first place in <paramref name="keys"/>.</param>
    public void Changed(long revision, IReadOnlyList<byte[]> keys, bool flushed, View view, Before before)
    {
        lock (_gate)
        {
            if (_floor == long.MaxValue)
                _floor = revision - 1;
            if (flushed)
            {
                // Nothing before a whole-keyspace change can be replayed on top of it; the marker tells watchers.
                _history.Clear();
                _floor = revision - 1;
                _history.AppendFlush(revision);
            }

            // A key named twice in one command is recorded once, with its value before the command (its first place's).
            _seen.Clear();
            for (var i = 0; i < keys.Count; i++)
            {
                var key = keys[i];
                if (keys.Count > 1 && !_seen.Add(key))
                    continue;
                var exists = view(key, out var value, out var held, out var hasValue);
                var hasPrevious = before(i, exists, out var previous, out var previousHeld);
                _history.Append(revision, key, exists, hasValue, value, held, hasPrevious, previous, previousHeld);
            }

            while (_history.HeldBytes > _limit && !_history.IsEmpty)
                _floor = Math.Max(_floor, _history.TrimOldest());

            // A new signal only when a watcher holds the current one: no allocation per apply while nobody waits.
            if (_handedOut)
            {
                var appended = _appended;
                _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _handedOut = false;
                appended.TrySetResult();
            }
        }
    }

    /// <summary>
    /// The changes of whole revisions from <paramref name="from"/> on (at most about <paramref name="max"/>), a task
    /// that completes when more are recorded, and whether <paramref name="from"/> is at or below the floor (unknown).
    /// </summary>
    public (List<Change> Changes, Task More, bool Compacted) Read(long from, int max)
    {
        lock (_gate)
        {
            if (from <= _floor && _floor != long.MaxValue)
            {
                // The history was cut by a change of the whole keyspace: that is what the watcher missed.
                return _history.FirstFlush() is { } flush
                    ? ([flush], Task.CompletedTask, false)
                    : ([], Task.CompletedTask, true);
            }

            var changes = _history.Read(from, max);
            _handedOut = true;
            return (changes, _appended.Task, false);
        }
    }
}
