using RaftKV.Protocol.Replies;

namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// A script or function run suspended at the end of a slice (see LuaEngine.Slices.cs): how to go on with it, whether
/// its engine still holds it suspended, its budget error, where its published messages begin, and whether it came from
/// EVAL/EVALSHA (SCRIPT KILL) or FCALL (FUNCTION KILL).
/// </summary>
internal sealed record SuspendedRun(Func<bool, Reply?> Continue, Func<bool> IsSuspended, Func<string> BudgetError, int Published, bool IsEval);
