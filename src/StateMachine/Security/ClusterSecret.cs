using RaftKV.Protocol.Replies;
using RaftKV.StateMachine.Commands;

namespace RaftKV.StateMachine.Security;

/// <summary>
/// The cluster secret: bytes every member knows, by which members prove themselves to each other outside Raft (the
/// forwarding handshake, snapshot downloads). Replicated state: set by a ClusterSecretSet entry, kept in snapshots
/// (version 5). Set once: an entry that finds a secret already set changes nothing, alike on every replica, so two
/// leaders that both proposed one agree on the first committed. Never part of a reply or of the digest.
/// </summary>
internal sealed class ClusterSecret
{
    /// <summary>The longest secret accepted (a configured one is a passphrase, a random one 32 bytes).</summary>
    public const int MaxLength = 1024;

    private byte[]? _value;

    /// <summary>
    /// The secret, or null before one is set; readable without the apply lock (set once, by replacing the reference).
    /// Callers must not change the array.
    /// </summary>
    public byte[]? Value => Volatile.Read(ref _value);

    /// <summary>Applies a ClusterSecretSet entry: 1 when it set the secret, 0 when one was set already.</summary>
    public Reply Apply(byte[][] arguments)
    {
        if (arguments.Length != 1)
        {
            return Reply.Error(ErrorTexts.WrongArity("clustersecretset"));
        }

        if (Validate(arguments[0]) is { } invalid)
        {
            return invalid;
        }

        if (_value is not null)
        {
            return Reply.Zero;
        }

        Volatile.Write(ref _value, (byte[])arguments[0].Clone());
        return Reply.Integer(1);
    }

    /// <summary>The error for a secret that may not be stored, or null.</summary>
    public static Reply? Validate(byte[] secret) =>
        secret.Length is 0 or > MaxLength ? Reply.Error($"ERR the cluster secret must hold 1 to {MaxLength} bytes") : null;

    /// <summary>Sets the secret read from a snapshot.</summary>
    public void Load(byte[] value) => Volatile.Write(ref _value, value);
}
