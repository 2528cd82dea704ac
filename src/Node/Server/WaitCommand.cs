using System.Diagnostics;
using System.Globalization;
using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using RaftKV.Node.Execution;
using RaftKV.Node.Raft;
using RaftKV.Node.Resp;
using RaftKV.Protocol.Replies;
using RaftKV.Protocol.Resp;

namespace RaftKV.Node.Server;

/// <summary>
/// WAIT numreplicas timeout, as Redis 7.0 answers it: the number of replicas (here: the other members) that hold every
/// write acknowledged to this client so far, waiting up to <c>timeout</c> milliseconds (0: for ever) until there are
/// <c>numreplicas</c>. Every acknowledged write is already fsync'd on a majority, so in a 3-node cluster WAIT 1 answers
/// at once; WAIT 2 waits for the other follower too.
/// <para>
/// The leader answers it: its commit index bounds every write acknowledged to any client (WAIT runs after every earlier
/// reply of its connection was handed over), and it asks each member with <see cref="HoldsCommand"/> whether that member
/// holds the entry there durably (<see cref="IReplicatedLog.HoldsDurably"/>); a member may wait for it before answering.
/// A member that confirmed an index at or past it (<see cref="ReplicaAcks"/>, as Redis keeps a replica's acknowledged
/// offset) counts without being asked again.
/// A follower relays WAIT on the client's forwarding connection, which carried the client's writes. Counted as blocked
/// while it waits; CLIENT UNBLOCK ends the wait with the count so far (TIMEOUT) or -UNBLOCKED (ERROR). Inside EXEC it
/// does not wait (Redis answers the count at once there).
/// </para>
/// </summary>
internal sealed class WaitCommand(RaftHost raft, CommandExecutor executor, ReplicaAcks acks)
{
    /// <summary>
    /// The hidden node-to-node command <c>RAFTKV-INTERNAL-HOLDS index term ms</c>: 1 once the member holds the entry
    /// (see <see cref="IReplicatedLog.HoldsDurably"/>), 0 if it still does not after <c>ms</c> milliseconds.
    /// </summary>
    public const string HoldsCommand = "RAFTKV-INTERNAL-HOLDS";

    private static readonly byte[] HoldsName = Encoding.ASCII.GetBytes(HoldsCommand);

    // The longest one HOLDS request waits: a longer WAIT asks again, so no request outlives its member's restart for long.
    private const int MaxHoldsWaitMs = 5_000;

    // How long members may take to answer a WAIT that does not block (inside EXEC).
    private const long NoWaitLimitMs = 100;

    // How often a member looks again while a HOLDS request waits.
    private static readonly TimeSpan HoldsPoll = TimeSpan.FromMilliseconds(5);

    /// <summary>Redis's reply to a client blocked on the primary when it becomes a replica.</summary>
    public const string StateChanged = "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";

    // Timeouts past what a timer takes (about 24 days) wait for ever, as 0 does.
    private const long LongestTimeoutMs = int.MaxValue;

    /// <param name="token">Cancelled when the client is gone (its connection closed) or the session ends.</param>
    public async ValueTask<Reply> ExecuteAsync(byte[][] args, ClientSession session, bool mayBlock, CancellationToken token)
    {
        if (!RedisNumber.TryParseLong(args[1], out var wanted))
            return Reply.Error(ErrorMessages.NotInteger);
        if (!RedisNumber.TryParseLong(args[2], out var timeoutMs))
            return Reply.Error("ERR timeout is not an integer or out of range");
        if (timeoutMs < 0)
            return Reply.Error("ERR timeout is negative");
        if (timeoutMs > LongestTimeoutMs)
            timeoutMs = 0;

        using var wait = new BlockedWait();
        session.Wait = wait;
        try
        {
            return raft.IsStarted && raft.IsLeader
                ? await OnLeaderAsync(wanted, timeoutMs, mayBlock, session, wait, token).ConfigureAwait(false)
                : await RelayAsync(args[0], wanted, timeoutMs, mayBlock, session, wait, token).ConfigureAwait(false);
        }
        finally
        {
            session.Wait = null;
        }
    }

    private async Task<Reply> OnLeaderAsync(long wanted, long timeoutMs, bool mayBlock, ClientSession session, BlockedWait wait, CancellationToken token)
    {
        var leaderChanged = raft.LeaderChangeToken;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token, wait.Token, leaderChanged);

        // The commit index bounds every write acknowledged to the client once this node has confirmed it leads and has
        // committed an entry of its term (a new leader may not know the last commit of the one before); and a leader
        // deposed unawares must not answer from its own view of the members.
        using (var barrier = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
        {
            barrier.CancelAfter(executor.CommandTimeout);
            if (!await executor.BarrierAsync(barrier.Token).ConfigureAwait(false))
            {
                if (wait.Token.IsCancellationRequested)
                    return wait.AsError ? Reply.Error(BlockedWait.UnblockedError) : Reply.Zero;
                return leaderChanged.IsCancellationRequested || !raft.IsLeader ? Reply.Error(StateChanged) : Reply.Error(CommandExecutor.ReadFailed);
            }
        }

        // Every acknowledged write is committed: fsync'd on a majority of the configuration it was committed in, which
        // is this one or one that differs by a member, so at least (members - 1) / 2 others hold it (1 of 3, 2 of 5).
        var assured = (raft.Cluster.Members.Count - 1) / 2;
        if (wanted <= assured)
            return Reply.Integer(assured);

        var count = await CountAsync(wanted, timeoutMs, mayBlock, session, leaderChanged, stop.Token).ConfigureAwait(false);
        if (wait.AsError)
            return Reply.Error(BlockedWait.UnblockedError);
        if (leaderChanged.IsCancellationRequested)
            return Reply.Error(StateChanged);
        return Reply.Integer(Math.Max(count, assured));
    }

    // A follower relays WAIT on the client's forwarding connection, which carried its writes (inside EXEC as WAIT 0 0,
    // which the leader answers at once), as a blocking command: it counts as blocked here, and stops when the leader
    // changes (Redis's UNBLOCKED answer) or CLIENT UNBLOCK ends it here (the count so far is not known here: 0).
    private async Task<Reply> RelayAsync(byte[] name, long wanted, long timeoutMs, bool mayBlock, ClientSession session, BlockedWait wait, CancellationToken token)
    {
        byte[][] request = mayBlock
            ? [name, RedisNumber.FormatLong(wanted), RedisNumber.FormatLong(timeoutMs)]
            : [name, "0"u8.ToArray(), "0"u8.ToArray()];
        var leaderChanged = raft.IsStarted ? raft.LeaderChangeToken : CancellationToken.None;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token, wait.Token);
        var reply = await executor.RelayAsync(request, session, stop.Token).ConfigureAwait(false);
        if (wait.Token.IsCancellationRequested)
            return wait.AsError ? Reply.Error(BlockedWait.UnblockedError) : Reply.Zero;
        if (reply is ErrorReply && leaderChanged.IsCancellationRequested)
            return Reply.Error(StateChanged);
        return reply;
    }

    // The members that hold the commit index's entry, counted as they answer, until there are enough or the time is up
    // (numreplicas above the members waits out the timeout, as in Redis). Asked in rounds of at most MaxHoldsWaitMs,
    // each over the members as they are then: a member added meanwhile counts, one removed no longer does; a member that
    // confirmed the entry already (in this round, an earlier one or an earlier WAIT) counts without being asked.
    private async Task<long> CountAsync(long wanted, long timeoutMs, bool mayBlock, ClientSession session, CancellationToken leadership, CancellationToken token)
    {
        var index = raft.Log.LastCommittedEntryIndex;
        var term = raft.Log.TermOf(index);
        var limitMs = mayBlock ? timeoutMs : NoWaitLimitMs;
        var started = Stopwatch.GetTimestamp();

        using var done = CancellationTokenSource.CreateLinkedTokenSource(token);
        if (limitMs > 0)
            done.CancelAfter(TimeSpan.FromMilliseconds(limitMs));
        session.IsBlocked = mayBlock;
        long count = 0;
        try
        {
            while (true)
            {
                var left = limitMs == 0 ? MaxHoldsWaitMs : limitMs - (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (left <= 0)
                    return count;
                var round = (int)Math.Min(left, MaxHoldsWaitMs);
                var roundStarted = Stopwatch.GetTimestamp();
                var generation = acks.Generation(leadership);
                var others = raft.Cluster.Members.Where(static m => m.IsRemote).ToList();
                var unconfirmed = others.Where(m => !acks.Holds(leadership, m.EndPoint, index)).ToList();
                count = others.Count - unconfirmed.Count;
                if (count >= wanted)
                    return count;
                var pending = unconfirmed.Select(m => HoldsAsync(m, index, term, round, done.Token)).ToList();
                while (pending.Count > 0)
                {
                    var answered = await Task.WhenAny(pending).ConfigureAwait(false);
                    pending.Remove(answered);
                    if (!answered.IsCompletedSuccessfully || answered.Result is not { } holder)
                        continue;
                    acks.Confirm(leadership, generation, holder.EndPoint, index);
                    if (++count >= wanted)
                        return count;
                }

                if (!mayBlock)
                    return count;
                // Everyone answered before the round was up (those that hold it at once, the unreachable at once too):
                // wait out the round rather than ask again at once.
                var rest = TimeSpan.FromMilliseconds(round) - Stopwatch.GetElapsedTime(roundStarted);
                if (rest > TimeSpan.Zero)
                    await Task.Delay(rest, done.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return count; // the time is up, CLIENT UNBLOCK, a leader change, or the client is gone
        }
        finally
        {
            await done.CancelAsync().ConfigureAwait(false);
            session.IsBlocked = false;
        }
    }

    // The member once it answered that it holds the entry; null when it did not (or could not be reached).
    private async Task<RaftClusterMember?> HoldsAsync(RaftClusterMember member, long index, long term, int waitMs, CancellationToken token)
    {
        byte[][] request = [HoldsName, RedisNumber.FormatLong(index), RedisNumber.FormatLong(term), RedisNumber.FormatLong(waitMs)];
        var reply = await raft.SendToMemberAsync(member, request, token, TimeSpan.FromMilliseconds(waitMs) + executor.CommandTimeout).ConfigureAwait(false);
        return reply is IntegerReply { Value: 1 } ? member : null;
    }

    /// <summary>A member's answer to <see cref="HoldsCommand"/> (on a forwarding connection only).</summary>
    public static async Task<Reply> AnswerHoldsAsync(RaftHost raft, byte[] index, byte[] term, byte[] waitMs, CancellationToken token)
    {
        if (!RedisNumber.TryParseLong(index, out var at) || !RedisNumber.TryParseLong(term, out var ofTerm)
            || !RedisNumber.TryParseLong(waitMs, out var ms) || ms is < 0 or > MaxHoldsWaitMs)
            return Reply.Error(ErrorMessages.Syntax);
        if (!raft.IsStarted)
            return Reply.Error(CommandExecutor.NoLeader);
        var started = Stopwatch.GetTimestamp();
        while (!raft.Log.HoldsDurably(at, ofTerm))
        {
            if (Stopwatch.GetElapsedTime(started).TotalMilliseconds >= ms)
                return Reply.Zero;
            await Task.Delay(HoldsPoll, token).ConfigureAwait(false);
        }

        return Reply.One;
    }

    /// <summary>Whether <paramref name="name"/> is <see cref="HoldsCommand"/>.</summary>
    public static bool IsHolds(ReadOnlySpan<byte> name) => name.SequenceEqual(HoldsName);
}
