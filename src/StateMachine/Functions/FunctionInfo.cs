namespace RaftKV.StateMachine.Functions;

/// <summary>
/// One registered function: its name (letters, digits and underscores), its description (null when none was given;
/// any bytes) and its flags.
/// </summary>
internal sealed record FunctionInfo(string Name, byte[]? Description, FunctionFlags Flags);
