using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Log;

/// <summary>
/// One replicated command as it is stored in the Raft log. <see cref="Arguments"/> excludes the command
/// name. <see cref="TimestampMs"/> is the leader's Unix time in milliseconds when it proposed the entry;
/// <see cref="Seed"/> feeds every random choice the command makes, so replicas choose alike.
/// The arrays are owned by the record once it is built: never mutate them afterwards.
/// </summary>
public sealed record LogCommand(CommandId Command, long TimestampMs, ulong Seed, byte[][] Arguments);
