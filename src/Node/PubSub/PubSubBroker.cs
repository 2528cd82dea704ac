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
    // PUBLISHes this node relayed to the leader and waits to deliver itself, oldest first (RelayedPublish).
    private readonly List<AwaitedDelivery> _awaited = [];

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

    /// <summary>Subscribes and returns the session's subscription count afterwards.</summary>
    public int Subscribe(ClientSession session, string channel, bool pattern)
    {
        lock (_lock)
        {
            var index = pattern ? _patterns : _channels;
            var own = pattern ? session.Subscriptions.Patterns : session.Subscriptions.Channels;
            if (own.Add(channel))
            {
                if (!index.TryGetValue(channel, out var sessions))
                    index[channel] = sessions = [];
                sessions.Add(session);
            }

            return session.Subscriptions.Count;
        }
    }

    /// <summary>Unsubscribes and returns the session's subscription count afterwards.</summary>
    public int Unsubscribe(ClientSession session, string channel, bool pattern)
    {
        lock (_lock)
        {
            var index = pattern ? _patterns : _channels;
            var own = pattern ? session.Subscriptions.Patterns : session.Subscriptions.Channels;
            if (own.Remove(channel) && index.TryGetValue(channel, out var sessions))
            {
                sessions.Remove(session);
                if (sessions.Count == 0)
                    index.Remove(channel);
            }

            return session.Subscriptions.Count;
        }
    }

    /// <summary>The session's channels (or patterns) in ordinal order.</summary>
    public IReadOnlyList<string> List(ClientSession session, bool pattern)
    {
        lock (_lock)
            return (pattern ? session.Subscriptions.Patterns : session.Subscriptions.Channels).Order(StringComparer.Ordinal).ToList();
    }

    public void UnsubscribeAll(ClientSession session)
    {
        foreach (var channel in List(session, pattern: false))
            Unsubscribe(session, channel, pattern: false);
        foreach (var pattern in List(session, pattern: true))
            Unsubscribe(session, pattern, pattern: true);
    }

    /// <summary>The channels with at least one subscriber here, matching <paramref name="pattern"/> when given, in ordinal order.</summary>
    public IReadOnlyList<byte[]> Channels(byte[]? pattern)
    {
        lock (_lock)
        {
            return _channels.Keys.Order(StringComparer.Ordinal).Select(Bytes)
                .Where(channel => pattern is null || GlobPattern.IsMatch(pattern, channel)).ToList();
        }
    }

    /// <summary>How many sessions here subscribe to <paramref name="channel"/> (patterns not counted).</summary>
    public int SubscriberCount(byte[] channel)
    {
        lock (_lock)
            return _channels.TryGetValue(Name(channel), out var sessions) ? sessions.Count : 0;
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

            // A PUBLISH relayed from here is counted as delivered here (Redis counts the receivers on the node the
            // client is connected to): the first awaited one with this channel and message takes this delivery's count.
            if (patterns && _awaited.Count > 0)
                Claim(channel, message, receivers);
        }

        return receivers;
    }

    /// <summary>
    /// Registers a PUBLISH this node is about to relay to the leader, before it is sent: the first delivery of the same
    /// channel and message on this node from then on completes <see cref="AwaitedDelivery.Delivered"/> with its count.
    /// Call <see cref="Forget"/> when done, whatever the outcome.
    /// </summary>
    public AwaitedDelivery AwaitDelivery(byte[] channel, byte[] message)
    {
        var awaited = new AwaitedDelivery(channel, message);
        lock (_lock)
            _awaited.Add(awaited);
        return awaited;
    }

    public void Forget(AwaitedDelivery awaited)
    {
        lock (_lock)
            _awaited.Remove(awaited);
    }

    /// <summary>How many sessions here would receive a message on <paramref name="channel"/>: its subscribers and those of matching patterns.</summary>
    public int ReceiverCount(byte[] channel)
    {
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

    // Under _lock.
    private void Claim(byte[] channel, byte[] message, int receivers)
    {
        for (var i = 0; i < _awaited.Count; i++)
        {
            var awaited = _awaited[i];
            if (!awaited.Channel.AsSpan().SequenceEqual(channel) || !awaited.Message.AsSpan().SequenceEqual(message))
                continue;
            _awaited.RemoveAt(i);
            awaited.Delivered.TrySetResult(receivers);
            return;
        }
    }

    /// <summary>A relayed PUBLISH waiting for its delivery on this node (<see cref="AwaitDelivery"/>).</summary>
    public sealed class AwaitedDelivery(byte[] channel, byte[] message)
    {
        internal byte[] Channel { get; } = channel;

        internal byte[] Message { get; } = message;

        /// <summary>Completes with the number of this node's sessions that received the message.</summary>
        public TaskCompletionSource<int> Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
