using RaftKV.Protocol.Commands;

namespace RaftKV.Protocol.Tests.Commands;

/// <summary>ACL categories as Redis 7.0.15 assigns them, for every command of the table.</summary>
public sealed class AclCommandCatalogTests
{
    [Fact]
    public void EveryTableCommand_HasCategories_AndIsFastOrSlow()
    {
        foreach (var spec in CommandTable.All)
        {
            var categories = spec.Categories;
            Assert.True((categories & (AclCategories.Fast | AclCategories.Slow)) != 0, spec.Name + " has no @fast/@slow");
            Assert.NotNull(AclCommandCatalog.Find(spec.Name));
        }
    }

    [Theory]
    [InlineData("get", "@read @string @fast")]
    [InlineData("set", "@write @string @slow")]
    [InlineData("blpop", "@write @list @slow @blocking")]
    [InlineData("config", "@slow")]
    [InlineData("config|set", "@admin @slow @dangerous")]
    [InlineData("publish", "@pubsub @fast")]
    [InlineData("eval", "@slow @scripting")]
    [InlineData("keys", "@keyspace @read @slow @dangerous")]
    [InlineData("multi", "@fast @transaction")]
    [InlineData("auth", "@fast @connection")]
    [InlineData("raftkv.backup", "@admin @slow @dangerous")]
    [InlineData("raftkv.members", "@admin @slow")]
    [InlineData("raftkv.member.add", "@admin @slow @dangerous")]
    [InlineData("raftkv.leader.transfer", "@admin @slow @dangerous")]
    [InlineData("raftkv.lock.acquire", "@write @fast")]
    public void Categories_AreRedisOnes_InRedisOrder(string command, string expected) =>
        Assert.Equal(expected, string.Join(' ', AclCommandCatalog.Describe(AclCommandCatalog.Find(command)!.Categories)));

    [Fact]
    public void All_ListsSubcommandsRightAfterTheirContainer()
    {
        var all = AclCommandCatalog.All;
        for (var i = 0; i < all.Count; i++)
        {
            Assert.Equal(i, all[i].Index);
            if (all[i].Parent is { } parent)
                Assert.True(parent.Index < i && all.Skip(parent.Index + 1).Take(i - parent.Index).All(c => c.Parent == parent));
        }
    }

    [Fact]
    public void Resolve_FindsTheSubcommand_OrFallsBackToTheContainer()
    {
        Assert.Equal("config|get", AclCommandCatalog.Resolve([[.."CONFIG"u8], [.."Get"u8]])!.FullName);
        Assert.Equal("config", AclCommandCatalog.Resolve([[.."config"u8], [.."nosuch"u8]])!.FullName);
        Assert.Equal("get", AclCommandCatalog.Resolve([[.."get"u8], [.."k"u8]])!.FullName);
        Assert.Null(AclCommandCatalog.Resolve([[.."nosuch"u8]]));
    }
}
