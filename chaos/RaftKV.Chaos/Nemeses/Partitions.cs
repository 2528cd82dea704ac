namespace RaftKV.Chaos.Nemeses;

/// <summary>Partition shapes as sets of cut links between node indexes.</summary>
internal static class Partitions
{
    /// <summary>One node cut off from every other.</summary>
    public static (int A, int B)[] Isolate(int node, int count) =>
        Enumerable.Range(0, count).Where(i => i != node).Select(i => (node, i)).ToArray();

    /// <summary>Every link between the minority and the rest.</summary>
    public static (int A, int B)[] Split(IReadOnlyCollection<int> minority, int count) =>
        minority.SelectMany(m => Enumerable.Range(0, count).Where(i => !minority.Contains(i)).Select(i => (m, i))).ToArray();

    /// <summary>
    /// Overlapping majorities: nodes in a ring each keep links to their nearest neighbours so that each sees a
    /// majority, but no two see the same one. With 3 nodes that is one cut link (two nodes each see only the third).
    /// </summary>
    public static (int A, int B)[] Ring(IReadOnlyList<int> order)
    {
        var n = order.Count;
        if (n < 3)
            return [];
        if (n == 3)
            return [(order[0], order[1])];
        var majority = n / 2 + 1;
        var reach = majority / 2;
        var cuts = new List<(int, int)>();
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var distance = Math.Min(j - i, n - (j - i));
                if (distance > reach)
                    cuts.Add((order[i], order[j]));
            }
        }
        return cuts.ToArray();
    }
}
