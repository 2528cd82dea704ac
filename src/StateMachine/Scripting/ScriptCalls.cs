using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// What the commands scripts called on one thread add to INFO commandstats and errorstats of the node whose client sent
/// the script: counts per full command name, and the error replies they answered per error code (Redis counts each in
/// afterErrorReply where the command answers it, whether the script then raises it, returns it or swallows it with
/// redis.pcall). Bounded whatever the number of calls: names are the command table's, codes at most <see cref="MaxCodes"/>.
/// </summary>
public sealed class ScriptCalls
{
    /// <summary>One more than the node's errorstats table keeps (128), so that it still sees an overflow.</summary>
    public const int MaxCodes = 129;

    /// <summary>Calls by full command name (container|sub).</summary>
    public Dictionary<string, ScriptCallCount> ByName { get; } = new(StringComparer.Ordinal);

    /// <summary>Error replies by code (<see cref="ErrorReply.CodeOf"/>); null until one (most script runs answer none).</summary>
    public Dictionary<string, long>? ErrorsByCode { get; private set; }

    /// <summary>
    /// One call: <paramref name="name"/> null when no command has that name, <paramref name="ran"/> false when it was
    /// refused before it ran, <paramref name="error"/> its error reply (null when it succeeded).
    /// </summary>
    public void Note(string? name, bool ran, ErrorReply? error)
    {
        if (name is not null)
        {
            if (!ByName.TryGetValue(name, out var count))
                ByName[name] = count = new ScriptCallCount();
            if (!ran)
            {
                count.Rejected++;
            }
            else
            {
                count.Calls++;
                if (error is not null)
                    count.Failed++;
            }
        }

        if (error is null)
            return;
        var errors = ErrorsByCode ??= new Dictionary<string, long>(StringComparer.Ordinal);
        var code = ErrorReply.CodeOf(error.Message);
        if (errors.TryGetValue(code, out var times))
            errors[code] = times + 1;
        else if (errors.Count < MaxCodes)
            errors[code] = 1;
    }
}
