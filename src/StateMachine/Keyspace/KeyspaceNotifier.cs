using System.Text;
using RaftKV.StateMachine.Configuration;

namespace RaftKV.StateMachine.Keyspace;

/// <summary>
/// Keyspace notifications (Redis 7.0's notify.c) as the state machine produces them: each command reports its events as
/// it applies, and those of the classes enabled by notify-keyspace-events become messages on
/// <c>__keyspace@0__:&lt;key&gt;</c> (the event as message) and <c>__keyevent@0__:&lt;event&gt;</c> (the key as message),
/// queued in <see cref="Outbox"/> with the messages scripts publish, in the order they happened. The node delivers the
/// outbox to its own subscribers after the apply, so every node delivers the same messages in log order. With the
/// notifications off (<see cref="Flags"/> 0) an event costs one test of an integer.
/// </summary>
internal sealed class KeyspaceNotifier
{
    private static readonly byte[] KeyspacePrefix = "__keyspace@0__:"u8.ToArray();
    private static readonly byte[] KeyeventPrefix = "__keyevent@0__:"u8.ToArray();

    /// <summary>The enabled classes (<see cref="KeyspaceEvents"/> flags), set by the store from its replicated configuration at apply.</summary>
    public int Flags { get; set; }

    /// <summary>Events reported other than "new" and key misses, whether enabled or not (Redis's dirty counter).</summary>
    public long Changes { get; private set; }

    /// <summary>Messages to publish, in order: keyspace events and scripts' PUBLISH. The store's owner takes them after each apply.</summary>
    public List<(byte[] Channel, byte[] Message, bool Sharded)> Outbox { get; } = [];

    /// <summary>Reports <paramref name="name"/> (Redis's event name) of class <paramref name="type"/> on <paramref name="key"/>.</summary>
    public void Notify(int type, string name, ReadOnlySpan<byte> key)
    {
        // Every event but a key's creation (reported beside the command's own event) and a miss (a read) is a change.
        if ((type & (KeyspaceEvents.New | KeyspaceEvents.KeyMiss)) == 0)
        {
            Changes++;
        }

        var flags = Flags;
        if ((flags & type) == 0)
        {
            return;
        }

        var eventBytes = Encoding.ASCII.GetBytes(name);
        if ((flags & KeyspaceEvents.Keyspace) != 0)
        {
            Outbox.Add((Concat(KeyspacePrefix, key), eventBytes, false));
        }

        if ((flags & KeyspaceEvents.Keyevent) != 0)
        {
            Outbox.Add((Concat(KeyeventPrefix, eventBytes), key.ToArray(), false));
        }
    }

    private static byte[] Concat(byte[] prefix, ReadOnlySpan<byte> tail)
    {
        var channel = new byte[prefix.Length + tail.Length];
        prefix.CopyTo(channel, 0);
        tail.CopyTo(channel.AsSpan(prefix.Length));
        return channel;
    }
}
