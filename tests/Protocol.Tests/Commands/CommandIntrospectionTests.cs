using RaftKV.Protocol.Commands;

namespace RaftKV.Protocol.Tests.Commands;

/// <summary>
/// Redis's command data (COMMAND INFO, COMMAND GETKEYS) against the registry: the key positions ACL checks use
/// (<see cref="CommandTable"/>) are those Redis's key specs give, apart from the commands listed, and the key search
/// follows Redis's rules on the edges a client can send.
/// </summary>
public sealed class CommandIntrospectionTests
{
    // Where the registry's positions differ on purpose: container commands whose subcommands carry the key (the table
    // names one position for all of them), MOVE (no key touched with one database), and the sharded pub/sub commands
    // (Redis declares their channels as not_key specs).
    private static readonly string[] KnownDifferences =
        ["move", "object", "spublish", "ssubscribe", "sunsubscribe", "xgroup", "xinfo"];

    [Fact]
    public void EveryTableCommand_ThatRedisHas_TakesItsKeysWhereRedisKeySpecsPutThem()
    {
        var differing = new List<string>();
        foreach (var spec in CommandTable.All)
        {
            if (CommandIntrospection.Find(spec.Name.ToLowerInvariant()) is not { } info)
                continue;
            var (first, last, step, _) = info.LegacyRange;
            if ((spec.FirstKey, spec.LastKey, spec.KeyStep) != (first, last, step))
                differing.Add($"{spec.Name}: table {spec.FirstKey} {spec.LastKey} {spec.KeyStep}, Redis {first} {last} {step}");
        }

        Assert.Equal(KnownDifferences, differing.Select(static d => d[..d.IndexOf(':', StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("lmove k1 k2 left right", "k1 RW|Access|Delete, k2 RW|Insert")]
    [InlineData("set k v", "k OW|Update")]
    [InlineData("set k v px 5 get", "k RW|Access|Update")]
    [InlineData("zunionstore d 2 a b", "d OW|Update, a RO|Access, b RO|Access")]
    [InlineData("zunionstore d 02 a b", "a None, b None, d None")]
    [InlineData("zunion 4294967297 a", "a RO|Access")]
    [InlineData("zunion 2147483648 a", "")]
    [InlineData("eval s 0", "")]
    [InlineData("eval s -1 k", "")]
    [InlineData("xread count 1 streams a b 0 0", "a RO|Access, b RO|Access")]
    [InlineData("xread streams a 0 b", "a RO|Access")]
    [InlineData("georadius k 0 0 1 m store", "k RO|Access")]
    [InlineData("sort k limit 0 1 store d get x", "k RO|Access, d OW|Update")]
    public void Keys_AreFoundAsRedisFindsThem(string request, string expected)
    {
        var arguments = request.Split(' ').Select(static a => System.Text.Encoding.ASCII.GetBytes(a)).ToArray();
        var info = CommandIntrospection.Find(request.Split(' ')[0])!;
        var keys = CommandKeys.Find(info, arguments);
        var described = string.Join(", ", keys.Select(k => System.Text.Encoding.ASCII.GetString(arguments[k.Position]) + " "
            + (k.Flags == KeySpecFlags.None ? "None" : k.Flags.ToString().Replace(", ", "|", StringComparison.Ordinal))));
        Assert.Equal(expected, described);
    }
}
