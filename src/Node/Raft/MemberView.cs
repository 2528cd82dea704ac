using System.Text;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Raft;

/// <summary>
/// One row of RAFTKV.MEMBERS, and the reply's shape: one element per member, each a map (a flat field/value array in
/// RESP2) of id, raft, resp, role, voting, match_index, is_self, in that order. Rows are sorted by Raft endpoint
/// (ordinal), so every node lists the same members in the same order.
/// </summary>
internal sealed record MemberView(string Id, string Raft, string Resp, string Role, bool Voting, long MatchIndex, bool IsSelf)
{
    public const string Leader = "leader";
    public const string Follower = "follower";
    public const string Candidate = "candidate";
    public const string Unknown = "unknown";

    public Reply ToReply() => new MapReply(
    [
        new(Reply.Bulk("id"), Reply.Bulk(Id)),
        new(Reply.Bulk("raft"), Reply.Bulk(Raft)),
        new(Reply.Bulk("resp"), Reply.Bulk(Resp)),
        new(Reply.Bulk("role"), Reply.Bulk(Role)),
        new(Reply.Bulk("voting"), Reply.Integer(Voting ? 1 : 0)),
        new(Reply.Bulk("match_index"), Reply.Integer(MatchIndex)),
        new(Reply.Bulk("is_self"), Reply.Integer(IsSelf ? 1 : 0)),
    ]);

    public static Reply ToReply(IEnumerable<MemberView> members) =>
        Reply.Array([.. members.OrderBy(static m => m.Raft, StringComparer.Ordinal).Select(static m => m.ToReply())]);

    /// <summary>
    /// Reads a RAFTKV.MEMBERS reply (RESP2 or RESP3) back into rows; null when <paramref name="reply"/> is not one (an
    /// error, or another shape).
    /// </summary>
    public static IReadOnlyList<MemberView>? Parse(Reply reply)
    {
        if (reply is not ArrayReply { Items: var items })
            return null;
        var rows = new List<MemberView>(items.Count);
        foreach (var item in items)
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            switch (item)
            {
                case MapReply map:
                    foreach (var (key, value) in map.Entries)
                        fields[Text(key)] = Text(value);
                    break;
                case ArrayReply { Items: var flat } when flat.Count % 2 == 0:
                    for (var i = 0; i < flat.Count; i += 2)
                        fields[Text(flat[i])] = Text(flat[i + 1]);
                    break;
                default:
                    return null;
            }

            if (!fields.TryGetValue("raft", out var raft) || !fields.TryGetValue("role", out var role))
                return null;
            rows.Add(new MemberView(
                fields.GetValueOrDefault("id", raft), raft, fields.GetValueOrDefault("resp", ""), role,
                fields.GetValueOrDefault("voting") == "1",
                long.TryParse(fields.GetValueOrDefault("match_index"), System.Globalization.CultureInfo.InvariantCulture, out var match) ? match : -1,
                fields.GetValueOrDefault("is_self") == "1"));
        }

        return rows;
    }

    /// <summary>
    /// Whether <paramref name="reply"/> is a member list answered by a leader (its own row says leader and self) that
    /// does not list <paramref name="raft"/> among its voting members.
    /// </summary>
    public static bool LeaderListWithout(Reply reply, string raft) =>
        Parse(reply) is { } rows
        && rows.Any(static r => r is { Role: Leader, IsSelf: true })
        && !rows.Any(r => r.Voting && r.Raft == raft);

    private static string Text(Reply reply) => reply switch
    {
        BulkReply bulk => Encoding.UTF8.GetString(bulk.Value),
        SimpleStringReply simple => simple.Value,
        IntegerReply integer => integer.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => string.Empty,
    };
}
