using RaftKV.Node.Raft;
using RaftKV.StateMachine;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>A test's read of a node's applied state, waiting for an apply in progress (the node itself never blocks a thread so).</summary>
internal static class StateReads
{
    public static T Read<T>(this KvStateMachine machine, Func<KeyValueStore, T> reader) =>
        machine.ReadAsync(reader).AsTask().WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
}
