using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Execution;

/// <summary>
/// A command queued inside MULTI: the whole request (name first), and the error the stateless validator found for it,
/// which EXEC answers as that command's item (Redis finds such errors only when the command runs).
/// </summary>
internal sealed record QueuedCommand(CommandSpec Spec, byte[][] Request, Reply? RuntimeError);
