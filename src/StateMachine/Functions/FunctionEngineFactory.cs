namespace RaftKV.StateMachine.Functions;

/// <summary>Creates the engine of a store's functions (<see cref="FunctionStore"/>), on first use.</summary>
internal static class FunctionEngineFactory
{
    public static IFunctionEngine Create() => new LuaFunctionEngine();
}
