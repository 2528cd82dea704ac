using RaftKV.Node.Raft;
using RaftKV.Protocol.Commands;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Log;

namespace RaftKV.Node.PubSub;

/// <summary>Hooks the broker to the applier: every node delivers a PUBLISH entry when it applies it.</summary>
internal sealed class PublishDelivery(RaftHost raft, PubSubBroker broker) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        raft.StateMachine.Publisher = Deliver;
        return Task.CompletedTask;
    }

    private Reply Deliver(LogCommand command) => command.Arguments.Length != 2 ? Reply.Zero
        : command.Command == CommandId.Spublish ? Reply.Integer(broker.PublishShard(command.Arguments[0], command.Arguments[1]))
        : Reply.Integer(broker.Publish(command.Arguments[0], command.Arguments[1]));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
