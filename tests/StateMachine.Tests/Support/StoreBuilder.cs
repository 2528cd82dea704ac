using System.Text;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;
using RaftKV.StateMachine.Snapshots;

namespace RaftKV.StateMachine.Tests.Support;

/// <summary>Small helpers to drive a store from tests.</summary>
internal static class StoreBuilder
{
    public static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    public static Reply Apply(this KeyValueStore store, CommandId command, long timestamp, params string[] arguments) =>
        store.Apply(new LogCommand(command, timestamp, 0, [.. arguments.Select(B)]));

    public static byte[] Snapshot(KeyValueStore store, long index = 7, long term = 3)
    {
        using var stream = new MemoryStream();
        SnapshotWriter.Write(store, stream, index, term);
        return stream.ToArray();
    }

    public static SnapshotContents Restore(byte[] snapshot) => SnapshotReader.Read(new MemoryStream(snapshot));
}
