using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values;

/// <summary>A Redis hash. Canonical order is ordinal field order.</summary>
internal sealed class HashValue : StoredValue
{
    public Dictionary<byte[], byte[]> Fields { get; } = new(ByteStringComparer.Instance);

    public override ValueKind Kind => ValueKind.Hash;

    public override string Encoding => "hashtable";

    public override StoredValue Clone()
    {
        var copy = new HashValue();
        foreach (var (field, value) in Fields)
        {
            copy.Fields.Add(field, value);
        }

        return copy;
    }

    public override void WriteCanonical(CanonicalWriter writer)
    {
        var fields = Fields.Keys.ToArray();
        Array.Sort(fields, ByteStringComparer.Instance);
        writer.WriteInt32(fields.Length);
        foreach (var field in fields)
        {
            writer.WriteString(field);
            writer.WriteString(Fields[field]);
        }
    }
}
