using System.Security.Cryptography;
using RaftKV.StateMachine.Values;

namespace RaftKV.StateMachine.Digests;

/// <summary>Feeds canonical value bytes into an incremental SHA-1.</summary>
internal sealed class HashingWriter(IncrementalHash hash) : CanonicalWriter
{
    public override void WriteBytes(ReadOnlySpan<byte> bytes) => hash.AppendData(bytes);
}
