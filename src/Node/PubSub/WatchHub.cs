using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;

namespace RaftKV.Node.PubSub;

/// <summary>
/// The changes this node applied, for the gRPC Watch stream: each applied command's changed keys become events
/// stamped with the command's revision (identical on every node), kept in log order in a history bounded by
/// WatchHistoryBytes. Fed under the state machine's write lock, right after each command's apply (so the value an
/// event carries is the key's value at that revision); read by any number of watchers, each at its own position.
/// What happened before this node started, or was trimmed, is unknown: a watcher asking for it is told so
/// (<see cref="Read"/>'s floor), as etcd answers "compacted".
/// </summary>
internal sealed class WatchHub(IOptions<NodeOptions> options, Raft.RaftHost raft) : IHostedService
{
    /// <summary>One change of one key. <see cref="Flushed"/> marks a change of the whole keyspace (no key).</summary>
    public sealed record Change(long Revision, byte[] Key, bool Deleted, byte[]? Value, bool Exists, byte[]? Previous, bool HasPrevious, bool Flushed)
    {
        public long Size => 64 + Key.Length + (Value?.Length ?? 0) + (Previous?.Length ?? 0);
    }

    private readonly long _limit = Math.Max(1 << 20, options.Value.WatchHistoryBytes);
    private readonly Lock _gate = new();
    private readonly LinkedList<Change> _history = new();
    // The last value of each key with a change in the history, for prev_kv (a key's entry goes with its last change).
    private readonly Dictionary<string, Change> _latest = new(StringComparer.Ordinal);
    private long _bytes;
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

    /// <summary>The revision of the last change recorded (the floor when none).</summary>
    public long Revision
    {
        get
        {
            lock (_gate)
                return _history.Last?.Value.Revision ?? _floor;
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
    public void Changed(long revision, IReadOnlyList<byte[]> keys, bool flushed, Func<byte[], (bool Exists, byte[]? Value)> view)
    {
        lock (_gate)
        {
            if (_floor == long.MaxValue)
                _floor = revision - 1;
            if (flushed)
            {
                // Nothing before a whole-keyspace change can be replayed on top of it; the marker tells watchers.
                _history.Clear();
                _latest.Clear();
                _bytes = 0;
                _floor = revision - 1;
                Add(new Change(revision, [], false, null, false, null, false, true));
            }

            var seen = keys.Count > 1 ? new HashSet<string>(StringComparer.Ordinal) : null;
            foreach (var key in keys)
            {
                var name = PubSubBroker.Name(key);
                if (seen is not null && !seen.Add(name))
                    continue;
                var (exists, value) = view(key);
                var before = _latest.GetValueOrDefault(name);
                var change = new Change(revision, key, !exists, value, exists, before?.Value, before is { Exists: true, Value: not null }, false);
                Add(change);
                _latest[name] = change;
            }

            while (_bytes > _limit && _history.First is { } oldest)
            {
                _history.RemoveFirst();
                _bytes -= oldest.Value.Size;
                _floor = Math.Max(_floor, oldest.Value.Revision);
                if (!oldest.Value.Flushed && _latest.TryGetValue(PubSubBroker.Name(oldest.Value.Key), out var latest) && ReferenceEquals(latest, oldest.Value))
                    _latest.Remove(PubSubBroker.Name(oldest.Value.Key));
            }

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

    private void Add(Change change)
    {
        _history.AddLast(change);
        _bytes += change.Size;
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
                return _history.First?.Value is { Flushed: true } flush
                    ? ([flush], Task.CompletedTask, false)
                    : ([], Task.CompletedTask, true);
            }
            var changes = new List<Change>();
            // From the newest backwards to where the revision starts, then forwards: watchers are usually near the end.
            var node = _history.Last;
            while (node?.Previous is { } previous && previous.Value.Revision >= from)
                node = previous;
            if (node is not null && node.Value.Revision < from)
                node = node.Next;
            for (; node is not null; node = node.Next)
            {
                if (changes.Count >= max && node.Value.Revision != changes[^1].Revision)
                    break;
                changes.Add(node.Value);
            }

            _handedOut = true;
            return (changes, _appended.Task, false);
        }
    }
}
