using System.Text;
using RaftKV.Node.Resp;
using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Text;

namespace RaftKV.Node.PubSub;

/// <summary>
/// Delivers PUBLISH messages to this node's subscribers. PUBLISH is a log entry, and every node delivers it when
/// it applies the entry, so a subscriber on any node receives every message, in log order.
/// </summary>
internal sealed class PubSubBroker
{
    private static readonly Reply MessageKind = Reply.Bulk("message");
    private static readonly Reply PatternMessageKind = Reply.Bulk("pmessage");
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<ClientSession>> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<ClientSession>> _patterns = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<ClientSession>> _shards = new(StringComparer.Ordinal);
    private static readonly Reply ShardMessageKind = Reply.Bulk("smessage");

    public static string Name(byte[] bytes) => Encoding.Latin1.GetString(bytes);

    public static byte[] Bytes(string name) => Encoding.Latin1.GetBytes(name);

    /// <summary>Channels with at least one subscriber on this node.</summary>
    public int ChannelCount
    {
        get
        {
            lock (_lock)
                return _channels.Count;
        }
    }

    /// <summary>Patterns with at least one subscriber on this node (PUBSUB NUMPAT, the metrics gauge).</summary>
    public int PatternCount
    {
        get
        {
            lock (_lock)
                return _patterns.Count;
        }
    }

    /// <summary>Subscribes and returns what the subscribe reply counts afterwards (<see cref="SubscriptionSet.CountOf"/>).</summary>
    public int Subscribe(ClientSession session, string name, SubscriptionKind kind)
    {
        lock (_lock)
        {
            var index = IndexOf(kind);
            if (session.Subscriptions.Of(kind).Add(name))
            {
                if (!index.TryGetValue(name, out var sessions))
                    index[name] = sessions = [];
                sessions.Add(session);
            }

            return session.Subscriptions.CountOf(kind);
        }
    }

    /// <summary>Unsubscribes and returns what the unsubscribe reply counts afterwards.</summary>
    public int Unsubscribe(ClientSession session, string name, SubscriptionKind kind)
    {
        lock (_lock)
        {
            var index = IndexOf(kind);
            if (session.Subscriptions.Of(kind).Remove(name) && index.TryGetValue(name, out var sessions))
            {
                sessions.Remove(session);
                if (sessions.Count == 0)
                    index.Remove(name);
            }

            return session.Subscriptions.CountOf(kind);
        }
    }

    /// <summary>The session's channels, patterns or shard channels in ordinal order.</summary>
    public IReadOnlyList<string> List(ClientSession session, SubscriptionKind kind)
    {
        lock (_lock)
            return session.Subscriptions.Of(kind).Order(StringComparer.Ordinal).ToList();
    }

    public void UnsubscribeAll(ClientSession session)
    {
        foreach (var kind in (ReadOnlySpan<SubscriptionKind>)[SubscriptionKind.Channel, SubscriptionKind.Pattern, SubscriptionKind.Shard])
        {
            foreach (var name in List(session, kind))
                Unsubscribe(session, name, kind);
        }
    }

    private Dictionary<string, HashSet<ClientSession>> IndexOf(SubscriptionKind kind) => kind switch
    {
        SubscriptionKind.Pattern => _patterns,
        SubscriptionKind.Shard => _shards,
        _ => _channels,
    };

    /// <summary>The channels with at least one subscriber here, matching <paramref name="pattern"/> when given, in ordinal order.</summary>
    /// <param name="shard">The shard channels (PUBSUB SHARDCHANNELS) instead.</param>
    public IReadOnlyList<byte[]> Channels(byte[]? pattern, bool shard = false)
    {
        lock (_lock)
        {
            return IndexOf(shard ? SubscriptionKind.Shard : SubscriptionKind.Channel).Keys.Order(StringComparer.Ordinal).Select(Bytes)
                .Where(channel => pattern is null || GlobPattern.IsMatch(pattern, channel)).ToList();
        }
    }

    /// <summary>How many sessions here subscribe to <paramref name="channel"/> (patterns not counted), or to the shard channel.</summary>
    public int SubscriberCount(byte[] channel, bool shard = false)
    {
        lock (_lock)
            return IndexOf(shard ? SubscriptionKind.Shard : SubscriptionKind.Channel).TryGetValue(Name(channel), out var sessions) ? sessions.Count : 0;
    }

    /// <summary>Delivers a message to local subscribers; returns how many received it.</summary>
    /// <param name="patterns">False: only the channel's own subscribers, not those of matching patterns (the node's
    /// leader-change announcements, which a data node's <c>PSUBSCRIBE *</c> client in Redis never sees).</param>
    public int Publish(byte[] channel, byte[] message, bool patterns = true)
    {
        var name = Name(channel);
        var channelReply = new BulkReply(channel);
        var messageReply = new BulkReply(message);
        var receivers = 0;
        lock (_lock)
        {
            if (_channels.TryGetValue(name, out var sessions))
            {
                var push = new PushReply([MessageKind, channelReply, messageReply]);
                foreach (var session in sessions)
                {
                    session.Push(push);
                    receivers++;
                }
            }

            foreach (var (pattern, subscribers) in _patterns)
            {
                if (!patterns || !GlobPattern.IsMatch(Bytes(pattern), channel))
                    continue;
                var push = new PushReply([PatternMessageKind, Reply.Bulk(Bytes(pattern)), channelReply, messageReply]);
                foreach (var session in subscribers)
                {
                    session.Push(push);
                    receivers++;
                }
            }
        }

        return receivers;
    }

    /// <summary>Delivers an SPUBLISH message to local SSUBSCRIBE subscribers (<c>smessage</c>); returns how many received it.</summary>
    public int PublishShard(byte[] channel, byte[] message)
    {
        var receivers = 0;
        lock (_lock)
        {
            if (_shards.TryGetValue(Name(channel), out var sessions))
            {
                var push = new PushReply([ShardMessageKind, new BulkReply(channel), new BulkReply(message)]);
                foreach (var session in sessions)
                {
                    session.Push(push);
                    receivers++;
                }
            }
        }

        return receivers;
    }

    /// <summary>
    /// How many sessions here would receive a message on <paramref name="channel"/>: its subscribers and those of matching
    /// patterns, or its shard subscribers.
    /// </summary>
    public int ReceiverCount(byte[] channel, bool shard = false)
    {
        if (shard)
            return SubscriberCount(channel, shard: true);
        lock (_lock)
        {
            var receivers = _channels.TryGetValue(Name(channel), out var sessions) ? sessions.Count : 0;
            foreach (var (pattern, subscribers) in _patterns)
            {
                if (GlobPattern.IsMatch(Bytes(pattern), channel))
                    receivers += subscribers.Count;
            }

            return receivers;
        }
    }
}
