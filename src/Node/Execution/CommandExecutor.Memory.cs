using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Execution;

/// <summary>maxmemory on the leader: eviction under maxmemory-policy, else -OOM for denyoom commands (FCALL by its function's flags).</summary>
internal sealed partial class CommandExecutor
{
    /// <summary>
    /// Whether this leader refuses <paramref name="arguments"/> (name first) with -OOM now: a denyoom command while memory is
    /// above maxmemory. MULTI asks it at queue time, as Redis refuses such a command before queueing it. A follower
    /// cannot tell (the memory that counts is the leader's): it answers false and the leader decides at EXEC.
    /// </summary>
    public async ValueTask<bool> RefusesForMemoryAsync(CommandSpec spec, byte[][] arguments, CancellationToken token) =>
        raft.IsLeader && OverMaxMemory() && await DeniesOomAsync(spec, arguments.AsSpan(1).ToArray(), token).ConfigureAwait(false)
        && !await evictor.MakeRoomAsync(token).ConfigureAwait(false);

    /// <summary>
    /// Far over maxmemory under an evicting policy, the session waits for eviction before it queues a write (in request
    /// order: its read loop waits); false when there is nothing to wait for.
    /// </summary>
    public ValueTask<bool> WaitForEvictionAsync(CancellationToken token) =>
        evictor.FarOver ? evictor.EvictAsync(token) : ValueTask.FromResult(false);

    /// <summary>Whether this leader's memory is over maxmemory now (the session runs FCALL alone then: DeniesOomNow).</summary>
    public bool IsOverMaxMemory => raft.IsLeader && OverMaxMemory();

    // DeniesOomAsync's answer if it can be had without waiting: null when a function's flags are held by an apply.
    private bool? DeniesOomNow(CommandSpec spec, byte[][] args)
    {
        if ((spec.Flags & CommandFlags.DenyOom) != 0)
            return true;
        if (spec.Id is not (CommandId.Fcall or CommandId.FcallRo) || args.Length == 0)
            return false;
        var name = args[0];
        return raft.StateMachine.TryReadNow(store => store.FunctionDeniesOom(name), out var denies) ? denies : null;
    }

    /// <summary>
    /// Redis's denyoom: the command's flag, or for FCALL the function's (neither allow-oom nor no-writes). Asked only
    /// when memory is over maxmemory (OverMaxMemory first); the function's flags are read without blocking a thread.
    /// </summary>
    private ValueTask<bool> DeniesOomAsync(CommandSpec spec, byte[][] args, CancellationToken token)
    {
        if (DeniesOomNow(spec, args) is { } denies)
            return ValueTask.FromResult(denies);
        var name = args[0];
        return raft.StateMachine.ReadAsync(store => store.FunctionDeniesOom(name), token);
    }

    /// <summary>
    /// Whether memory is over maxmemory (replicated configuration): this leader's managed heap, what INFO reports as
    /// used_memory, less what keys just evicted still hold (<see cref="MemoryEvictor.UsedBytes"/>). A denyoom command
    /// then waits for eviction under a maxmemory-policy that evicts (MemoryEvictor.EvictAsync) and is refused with -OOM
    /// if memory stays over, as under Redis's noeviction; decided on the leader before the command reaches the log.
    /// Read without the apply lock: a write's check does not wait for an entry being applied.
    /// </summary>
    private bool OverMaxMemory() => evictor.IsOver();

    /// <summary>
    /// Whether a script or FCALL starts out of memory (its denyoom calls refused before its first write, as Redis's
    /// script_oom): over maxmemory under noeviction, or under an evicting policy when the write could not be admitted
    /// while eviction runs (MemoryEvictor.AdmitWhileEvicting, which starts it).
    /// </summary>
    private bool OutOfMemoryForScripts() => OverMaxMemory() && !evictor.AdmitWhileEvicting();
}
