using RaftKV.StateMachine.Text;

namespace RaftKV.StateMachine.Values;

/// <summary>
/// A Redis sorted set: member to score. Canonical order is Redis's zset order: score, then ordinal member.
/// (The commands issue adds an ordered index beside the dictionary.)
/// </summary>
internal sealed class SortedSetValue : StoredValue
{
    public Dictionary<byte[], double> Scores { get; } = new(ByteStringComparer.Instance);

    public override ValueKind Kind => ValueKind.SortedSet;

    public override string Encoding => "skiplist";

    public override StoredValue Clone()
    {
        var copy = new SortedSetValue();
        foreach (var (member, score) in Scores)
        {
            copy.Scores.Add(member, score);
        }

        return copy;
    }

    public override void WriteCanonical(CanonicalWriter writer)
    {
        var members = Scores.ToArray();
        Array.Sort(members, static (a, b) =>
        {
            var byScore = a.Value.CompareTo(b.Value);
            return byScore != 0 ? byScore : ByteStringComparer.Instance.Compare(a.Key, b.Key);
        });
        writer.WriteInt32(members.Length);
        foreach (var (member, score) in members)
        {
            writer.WriteString(member);
            writer.WriteDouble(score);
        }
    }
}
