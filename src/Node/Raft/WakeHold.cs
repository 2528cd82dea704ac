namespace RaftKV.Node.Raft;

/// <summary>
/// What an applied entry's replies wait for on the leader: the blocked clients its writes woke trying again (served or
/// blocked again), as Redis serves them before its next command (Execution/BlockingWaiters.cs). Carried by the entry's
/// context (<see cref="PendingWrite"/>, <see cref="BatchedWrite"/>); the group commit answers after it.
/// </summary>
internal static class WakeHold
{
    /// <summary>One task for several wakes: null for none, the wake itself for one.</summary>
    public static Task? Combine(List<Task>? wakes) => wakes switch
    {
        null or [] => null,
        [var one] => one,
        _ => Task.WhenAll(wakes),
    };

    public static void Attach(object? context, List<Task> wakes)
    {
        var hold = Combine(wakes);
        switch (context)
        {
            case PendingWrite pending:
                pending.Hold = hold;
                break;
            case BatchedWrite batch:
                batch.Hold = hold;
                break;
        }
    }
}
