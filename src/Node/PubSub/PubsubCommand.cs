using System.Text;
using RaftKV.Node.Server;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.PubSub;

/// <summary>
/// PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS / SHARDNUMSUB / HELP, as Redis 7.0 answers them, about this node's
/// own subscribers (each node delivers every message to its own, so counts are per node, as on a Redis replica).
/// SHARDCHANNELS and SHARDNUMSUB count SSUBSCRIBE's channels.
/// </summary>
internal static class PubsubCommand
{

    public static Reply Execute(PubSubBroker broker, byte[][] args)
    {
        if (Subcommands.Check("PUBSUB", args, out var sub) is { } invalid)
            return invalid;
        switch (sub)
        {
            case "HELP":
                return Subcommands.Help("PUBSUB",
                    "CHANNELS [<pattern>]",
                    "    Return the currently active channels matching a <pattern> (default: '*').",
                    "NUMPAT",
                    "    Return number of subscriptions to patterns.",
                    "NUMSUB [<channel> ...]",
                    "    Return the number of subscribers for the specified channels, excluding",
                    "    pattern subscriptions(default: no channels).",
                    "SHARDCHANNELS [<pattern>]",
                    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
                    "SHARDNUMSUB [<shardchannel> ...]",
                    "    Return the number of subscribers for the specified shard level channel(s)");
            case "CHANNELS" when args.Length <= 3:
                return Reply.Array([.. broker.Channels(args.Length == 3 ? args[2] : null).Select(Reply.Bulk)]);
            case "SHARDCHANNELS" when args.Length <= 3:
                return Reply.Array([.. broker.Channels(args.Length == 3 ? args[2] : null, shard: true).Select(Reply.Bulk)]);
            case "NUMSUB" or "SHARDNUMSUB":
                var items = new Reply[(args.Length - 2) * 2];
                for (var i = 2; i < args.Length; i++)
                {
                    items[(i - 2) * 2] = Reply.Bulk(args[i]);
                    items[((i - 2) * 2) + 1] = Reply.Integer(broker.SubscriberCount(args[i], shard: sub == "SHARDNUMSUB"));
                }

                return Reply.Array(items);
            case "NUMPAT":
                return Reply.Integer(broker.PatternCount);
            default:
                return Reply.Error(
                    $"ERR unknown subcommand or wrong number of arguments for '{Encoding.UTF8.GetString(args[1])}'. Try PUBSUB HELP.");
        }
    }
}
