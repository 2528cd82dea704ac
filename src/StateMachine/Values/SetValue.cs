using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values;

/// <summary>A Redis set. Canonical order is ordinal member order (hash-set order is not replicated).</summary>
internal sealed class SetValue : StoredValue
{
    public HashSet<byte[]> Members { get; } = new(ByteStringComparer.Instance);

    public override ValueKind Kind => ValueKind.Set;

    public override void WriteCanonical(CanonicalWriter writer)
    {
        var members = Members.ToArray();
        Array.Sort(members, ByteStringComparer.Instance);
        writer.WriteInt32(members.Length);
        foreach (var member in members)
        {
            writer.WriteString(member);
        }
    }
}
