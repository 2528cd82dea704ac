namespace RaftKV.StateMachine.Functions;

/// <summary>
/// A library compiled by an <see cref="IFunctionEngine"/>: the functions it registered, in registration order, and the
/// engine's handle on their callbacks (meaningful to that engine only).
/// </summary>
internal sealed record LoadedLibrary(IReadOnlyList<FunctionInfo> Functions, int Handle);
