using DotNext.Net.Cluster;

namespace RaftKV.Node.Log;

/// <summary>What <see cref="DotNextLogMigration"/> carried: term, vote (null: none), and the entries <c>[First, Last]</c> after the snapshot.</summary>
internal sealed record CarriedLog(long Term, ClusterMemberId? Vote, long First, long Last, long SnapshotIndex);
