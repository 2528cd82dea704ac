using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Commands;

namespace RaftKV.StateMachine.Tests;

/// <summary>
/// The state machine validates and executes by the Protocol command table itself (one registry): every keyspace
/// command and PUBLISH the node routes to it must be known to it. PUBLISH was once refused with "unknown command id
/// 120" because the state machine kept a second list that lacked it.
/// </summary>
public sealed class CommandCatalogTests
{
    [Fact]
    public void EveryKeyspaceCommandInTheTable_IsKnownToTheStateMachine()
    {
        var keyspace = CommandTable.All.Where(spec => (spec.Flags & (CommandFlags.Read | CommandFlags.Write)) != 0
            && (spec.Flags & (CommandFlags.Admin | CommandFlags.Connection)) == 0);
        foreach (var spec in keyspace)
        {
            Assert.Same(spec, CommandValidator.Find(spec.Id));
        }
    }

    [Fact]
    public void Publish_WithArguments_IsValidForTheLog()
    {
        Assert.Null(KeyValueStore.Validate(CommandId.Publish, [[(byte)'c'], [(byte)'m']]));
    }

    [Fact]
    public void InternalEntries_AreKnownByIdOnly()
    {
        foreach (var id in new[] { CommandId.NoOp, CommandId.Batch, CommandId.ExpireSweep, CommandId.LockLeaseExtend })
        {
            var spec = CommandValidator.Find(id);
            Assert.NotNull(spec);
            Assert.True((spec.Flags & CommandFlags.Internal) != 0, id.ToString());
            Assert.False(CommandTable.TryGet(System.Text.Encoding.ASCII.GetBytes(spec.Name), out _), spec.Name);
        }
    }

    [Fact]
    public void ConnectionAndServerCommands_AreNotExecutedByTheStateMachine()
    {
        Assert.Null(CommandValidator.Find(CommandId.Ping));
        Assert.Null(CommandValidator.Find(CommandId.Config));
        Assert.NotNull(KeyValueStore.Validate(CommandId.Config, [[(byte)'g']]));
    }
}
