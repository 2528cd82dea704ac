using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Acl;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// One run of a script: its KEYS and ARGV, the RESP version it converts replies with (redis.setresp), its
/// math.random generator (seeded from the log entry), the ACL user it runs as and the dispatch of its redis.call commands.
/// </summary>
internal sealed class ScriptRun(byte[][] keys, byte[][] arguments, ulong seed, AclUser? user, Func<byte[][], Reply> call)
{
    public byte[][] Keys { get; } = keys;

    public byte[][] Arguments { get; } = arguments;

    /// <summary>2 unless the script called redis.setresp(3).</summary>
    public int Resp { get; set; } = 2;

    public ScriptRandom Random { get; } = new(seed);

    /// <summary>The user each redis.call is checked against; null when unchecked (an unrestricted user, an entry without one).</summary>
    public AclUser? User { get; } = user;

    /// <summary>Runs one redis.call command (the name at index 0) and returns its reply.</summary>
    public Reply Call(byte[][] command) => call(command);
}
