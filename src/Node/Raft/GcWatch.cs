namespace RaftKV.Node.Raft;

/// <summary>
/// Watches the garbage collector from the snapshot writer's thread: start it there, <see cref="Sample"/> after each
/// slice, <see cref="Stop"/> at the end. Not thread-safe; allocates only when a collection happened since the last sample.
/// </summary>
internal sealed class GcWatch
{
    private readonly int _gen0 = GC.CollectionCount(0);
    private readonly int _gen1 = GC.CollectionCount(1);
    private readonly int _gen2 = GC.CollectionCount(2);
    private readonly TimeSpan _pause = GC.GetTotalPauseDuration();
    private readonly long _allocated = GC.GetAllocatedBytesForCurrentThread();
    private readonly long _firstIndex = GC.GetGCMemoryInfo(GCKind.Any).Index;
    private int _seenCollections = GC.CollectionCount(0);
    private TimeSpan _longest;

    /// <summary>Notes the pauses of the latest collection of each kind, if any collection happened since the last call.</summary>
    public void Sample()
    {
        // CollectionCount(0) counts every collection (a gen2 one collects gen0 too).
        var collections = GC.CollectionCount(0);
        if (collections == _seenCollections)
            return;
        _seenCollections = collections;
        Note(GCKind.Ephemeral);
        Note(GCKind.FullBlocking);
        Note(GCKind.Background);
    }

    public GcActivity Stop()
    {
        Sample();
        return new GcActivity(
            GC.CollectionCount(0) - _gen0,
            GC.CollectionCount(1) - _gen1,
            GC.CollectionCount(2) - _gen2,
            GC.GetTotalPauseDuration() - _pause,
            _longest,
            GC.GetAllocatedBytesForCurrentThread() - _allocated);
    }

    private void Note(GCKind kind)
    {
        var info = GC.GetGCMemoryInfo(kind);
        if (info.Index <= _firstIndex)
            return;
        foreach (var pause in info.PauseDurations)
        {
            if (pause > _longest)
                _longest = pause;
        }
    }
}
