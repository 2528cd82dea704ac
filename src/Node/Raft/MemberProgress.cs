using System.Diagnostics;
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using Microsoft.Extensions.Options;
using RaftKV.Node.Configuration;
using RaftKV.Node.Execution;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// Each member's progress as the leader sees it: its commit, applied and last log index, asked once a second
/// (<c>RAFTKV-INTERNAL-PROGRESS</c> over the authenticated member channel). DotNext
/// 6.12 keeps a follower's replication index to itself (its member state is not public), so the leader asks the
/// follower. Feeds the per-member lag metrics and RAFTKV.MEMBERS; a follower polls nobody.
/// </summary>
internal sealed partial class MemberProgress(RaftHost raft, IOptions<NodeOptions> options, ILogger<MemberProgress> logger) : BackgroundService
{
    /// <summary>The hidden command a member answers with [commit index, applied index, last log index].</summary>
    public const string Command = "RAFTKV-INTERNAL-PROGRESS";

    private static readonly byte[][] Request = [System.Text.Encoding.ASCII.GetBytes(Command)];
    private readonly ILogger _logger = logger;
    private volatile IReadOnlyDictionary<EndPoint, Sample> _samples = new Dictionary<EndPoint, Sample>();

    /// <summary>What a member last reported, and when (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public readonly record struct Sample(long Commit, long Applied, long LastLog, long At)
    {
        public TimeSpan Age => Stopwatch.GetElapsedTime(At);
    }

    /// <summary>How often the leader asks; a sample older than three of these counts as unknown.</summary>
    public TimeSpan Interval { get; } = TimeSpan.FromMilliseconds(Math.Max(100, options.Value.MemberProgressIntervalMs));

    /// <summary>The member's last report when this node leads and the report is fresh; null otherwise.</summary>
    public Sample? Of(EndPoint member) =>
        raft.IsLeader && _samples.TryGetValue(member, out var sample) && sample.Age < 3 * Interval ? sample : null;

    /// <summary>This node's own [commit, applied, last log] answer to <see cref="Command"/>.</summary>
    public static Reply Answer(RaftHost raft) => raft.IsStarted
        ? Reply.Array(Reply.Integer(raft.Log.LastCommittedEntryIndex), Reply.Integer(raft.StateMachine.AppliedIndex), Reply.Integer(raft.Log.LastEntryIndex))
        : Reply.Error(CommandExecutor.NoLeader);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (!raft.IsStarted || !raft.IsLeader)
                    continue;

                var members = raft.Cluster.Members.Where(static m => m.IsRemote).ToList();
                var results = await Task.WhenAll(members.Select(m => AskAsync(m, stoppingToken))).ConfigureAwait(false);
                var samples = new Dictionary<EndPoint, Sample>(_samples.Where(kv => members.Any(m => m.EndPoint.Equals(kv.Key))));
                for (var i = 0; i < members.Count; i++)
                {
                    if (results[i] is { } sample)
                        samples[members[i].EndPoint] = sample;
                }

                _samples = samples;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // One short connection per request (RaftHost.SendToMemberAsync): a kept one would hold the member's RESP server
    // open when it shuts down (its graceful stop waits for open sessions), and the handshake costs little once a second.
    private async Task<Sample?> AskAsync(RaftClusterMember member, CancellationToken token)
    {
        var reply = await raft.SendToMemberAsync(member, Request, token, Interval).ConfigureAwait(false);
        if (reply is ArrayReply { Items: [IntegerReply commit, IntegerReply applied, IntegerReply last] })
            return new Sample(commit.Value, applied.Value, last.Value, Stopwatch.GetTimestamp());
        if (reply is not null)
            LogUnexpected(member.EndPoint.ToString() ?? "?", reply.GetType().Name);
        return null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Member {Member} answered the progress request with {Reply}")]
    private partial void LogUnexpected(string member, string reply);
}
