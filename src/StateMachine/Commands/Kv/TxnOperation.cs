using RaftKV.Protocol.Commands;

namespace RaftKV.StateMachine.Commands.Kv;

/// <summary>One operation: a RAFTKV.KV.* command's id and its arguments, which start at <see cref="Start"/> in the request.</summary>
internal sealed record TxnOperation(CommandId Id, byte[][] Arguments, int Start);
