namespace RaftKV.StateMachine.Values;

/// <summary>
/// What a script's undo journal keeps of a large collection the script changes, instead of a copy of it taken before
/// its first change: the collection records the inverse of each change it makes from then on (<see cref="UndoSteps{TValue, TStep}"/>),
/// and <see cref="Restore"/> builds the collection as it was only when the script is rolled back. A script's first write
/// to a 100,000-member sorted set copied all of it on every node (14 scripts/s against redis-server's 70,000); now it
/// costs one step. Only a rollback (a script stopped by its budget) pays O(size).
/// </summary>
internal abstract class UndoTrail
{
    /// <summary>A new value equal to the collection before the script's first change of it; the collection is left as it is.</summary>
    public abstract StoredValue Restore();

    /// <summary>Stops recording and lets go of the steps (the journal ended, kept or rolled back).</summary>
    public abstract void Close();
}
