namespace RaftKV.StateMachine.Functions;

/// <summary>The flag names Redis 7.0 accepts (case-insensitively) and reports (in this order, as FUNCTION LIST does).</summary>
internal static class FunctionFlagNames
{
    public static readonly IReadOnlyList<(string Name, FunctionFlags Flag)> All =
    [
        ("no-writes", FunctionFlags.NoWrites),
        ("allow-oom", FunctionFlags.AllowOom),
        ("allow-stale", FunctionFlags.AllowStale),
        ("no-cluster", FunctionFlags.NoCluster),
        ("allow-cross-slot-keys", FunctionFlags.AllowCrossSlotKeys),
    ];

    /// <summary>Every flag a snapshot may hold.</summary>
    public const FunctionFlags Known = FunctionFlags.NoWrites | FunctionFlags.AllowOom | FunctionFlags.AllowStale
                                       | FunctionFlags.NoCluster | FunctionFlags.AllowCrossSlotKeys;

    /// <summary>The flag named <paramref name="name"/> (ASCII case-insensitive), or None when there is none.</summary>
    public static FunctionFlags Parse(string name)
    {
        foreach (var (flagName, flag) in All)
        {
            if (string.Equals(flagName, name, StringComparison.OrdinalIgnoreCase))
            {
                return flag;
            }
        }

        return FunctionFlags.None;
    }
}
