using RaftKV.Protocol.Commands;
using RaftKV.StateMachine.Commands;

namespace RaftKV.StateMachine.Tests;

/// <summary>The state machine's own command list must agree with the Protocol command table the node routes by.</summary>
public sealed class CommandCatalogTests
{
    [Fact]
    public void EveryStateMachineCommand_MatchesCommandTableArityAndWriteFlag()
    {
        foreach (var id in CommandCatalog.All.Where(id => id is not CommandId.NoOp and not CommandId.ExpireSweep))
        {
            var info = CommandCatalog.Find(id)!;
            Assert.True(CommandTable.TryGet(id, out var spec), $"{id} is missing from the command table");
            Assert.Equal(spec.Name, info.Name);
            Assert.Equal(spec.Arity, info.Arity);
            Assert.Equal(spec.IsWrite, info.IsWrite);
        }
    }

    [Fact]
    public void EveryKeyspaceCommandInTheTable_IsExecutedByTheStateMachine()
    {
        var keyspace = CommandTable.All.Where(spec => (spec.Flags & (CommandFlags.Read | CommandFlags.Write)) != 0
            && (spec.Flags & CommandFlags.PubSub) == 0);
        foreach (var spec in keyspace)
        {
            Assert.True(CommandCatalog.Find(spec.Id) is not null, $"{spec.Name} is not executed by the state machine");
        }
    }
}
