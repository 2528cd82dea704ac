namespace RaftKV.StateMachine.Values;

/// <summary>A Redis list: elements in list order.</summary>
internal sealed class ListValue : StoredValue
{
    public List<byte[]> Items { get; } = [];

    public override ValueKind Kind => ValueKind.List;

    public override void WriteCanonical(CanonicalWriter writer)
    {
        writer.WriteInt32(Items.Count);
        foreach (var item in Items)
        {
            writer.WriteString(item);
        }
    }
}
