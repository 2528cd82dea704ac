using System.Diagnostics;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Resp;

namespace RaftKV.Chaos.Workloads;

/// <summary>
/// The commands of one bank op on one connection, all within one time budget (the op timeout covers the whole
/// conversation, not each command). A timeout or a lost connection throws, and the op's outcome is unknown.
/// </summary>
internal sealed class BankConversation(RespClient client, TimeSpan budget, CancellationToken token)
{
    private readonly long _deadline = Stopwatch.GetTimestamp() + (long)(budget.TotalSeconds * Stopwatch.Frequency);

    /// <summary>What a MULTI ... EXEC came to: ok with EXEC's replies, fail (nothing applied) or info (unknown).</summary>
    public sealed record Transaction(OpType Outcome, IReadOnlyList<RespValue> Replies, string? Error);

    public async Task<RespValue> SendAsync(params string[] args)
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), _deadline);
        if (left <= TimeSpan.Zero)
            throw new TimeoutException($"bank op over its {budget.TotalMilliseconds} ms budget before {args[0]}");
        return await client.ExecuteAsync(args, left, token).ConfigureAwait(false);
    }

    /// <summary>
    /// MULTI, the commands, EXEC. Nothing is applied unless EXEC is sent, so every refusal before it is a fail: MULTI
    /// refused (RaftKV before transactions: unknown command) stops there; a command refused at queue time is
    /// followed by DISCARD instead of EXEC. A queued command answered with anything but +QUEUED or an error ran
    /// outside a transaction (info: it may have applied). EXEC's null (a watched key changed) and -EXECABORT are
    /// fails; any other error to EXEC, or an error inside its array (a command that failed at run time while the
    /// others applied), is info.
    /// </summary>
    public async Task<Transaction> TransactAsync(IReadOnlyList<string[]> commands)
    {
        var multi = await SendAsync("MULTI").ConfigureAwait(false);
        if (multi.IsError)
            return new(OpType.Fail, [], "MULTI refused: " + multi.Text);
        if (multi is not { Kind: RespKind.Simple, Text: "OK" })
        {
            await SendAsync("DISCARD").ConfigureAwait(false);
            return new(OpType.Info, [], "MULTI replied " + multi);
        }
        foreach (var command in commands)
        {
            var queued = await SendAsync(command).ConfigureAwait(false);
            if (queued is { Kind: RespKind.Simple, Text: "QUEUED" })
                continue;
            await SendAsync("DISCARD").ConfigureAwait(false);
            return queued.IsError
                ? new(OpType.Fail, [], $"{command[0]} not queued: {queued.Text}")
                : new(OpType.Info, [], $"{command[0]} inside MULTI replied {queued}, not QUEUED: it ran outside the transaction");
        }
        var exec = await SendAsync("EXEC").ConfigureAwait(false);
        if (exec.Kind != RespKind.Array)
        {
            return exec switch
            {
                { Kind: RespKind.Null } => new(OpType.Fail, [], BankWorkload.AbortedByWatch),
                { Kind: RespKind.Error, Text: var e } when e!.StartsWith("EXECABORT", StringComparison.Ordinal) => new(OpType.Fail, [], e),
                { Kind: RespKind.Error, Text: var e } => new(OpType.Info, [], "EXEC: " + e),
                _ => new(OpType.Info, [], "EXEC replied " + exec),
            };
        }
        var replies = exec.Items!;
        if (replies.Count != commands.Count)
            return new(OpType.Info, replies, $"EXEC replied {replies.Count} results to {commands.Count} commands");
        return replies.FirstOrDefault(r => r.IsError) is { } failed
            ? new(OpType.Info, replies, "EXEC with a failed command (the others applied): " + failed)
            : new(OpType.Ok, replies, null);
    }
}
