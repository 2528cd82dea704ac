namespace RaftKV.Integration.Tests.Infrastructure;

/// <summary>
/// A test that cuts links with <see cref="LoopbackPartition"/>: reported as skipped, with the reason, on a machine
/// where this process cannot (not root, no cgroup2, no iptables). CI runs as root, where it always runs.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PartitionFactAttribute : FactAttribute
{
    public PartitionFactAttribute()
    {
        if (!LoopbackPartition.IsAvailable(out var reason))
            Skip = "SKIPPED: needs real partitions on loopback, which this machine refuses: " + reason;
    }
}
