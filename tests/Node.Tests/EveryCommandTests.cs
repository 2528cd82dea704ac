using System.Text;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// Every command the table knows is sent, well-formed, through a real node (Data/command-examples.txt) and is never
/// answered "unknown command": PUBLISH once was, because the state machine validated against a list of its own.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EveryCommandTests
{
    private static readonly string[] Refusals =
    [
        "unknown command",
        "unknown subcommand",
        "wrong number of arguments",
        "syntax error",
        "internal error",
    ];

    [Fact]
    public void EveryCommandInTheTable_HasAnExample()
    {
        var examples = LoadExamples().Select(static line => line[0].ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var missing = CommandTable.All.Select(static spec => spec.Name).Where(name => !examples.Contains(name)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public async Task EveryCommandInTheTable_IsExecutedByARealNode()
    {
        var temporary = Directory.CreateTempSubdirectory("raftkv-every-command");
        try
        {
            await using var cluster = await TestCluster.StartAsync(1);
            var leader = await cluster.WaitForLeaderAsync();
            var refused = new List<string>();
            foreach (var example in LoadExamples())
            {
                var args = example.Select(arg => arg.Replace("{TMP}", temporary.FullName, StringComparison.Ordinal)
                    .Replace("{SP}", " ", StringComparison.Ordinal).Replace("{NL}", "\n", StringComparison.Ordinal)).ToArray();
                await using var client = await RespTestClient.ConnectAsync(leader.RespPort);
                var reply = await client.SendAsync(args);
                if (reply is ErrorReply error && Refusals.Any(r => error.Message.Contains(r, StringComparison.OrdinalIgnoreCase)))
                    refused.Add(string.Join(' ', args) + " -> " + error.Message);
            }

            Assert.True(refused.Count == 0, string.Join(Environment.NewLine, refused));
        }
        finally
        {
            temporary.Delete(recursive: true);
        }
    }

    private static List<string[]> LoadExamples() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Data", "command-examples.txt"))
            .Where(static line => line.Length > 0 && !line.StartsWith('#'))
            .Select(static line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
}
