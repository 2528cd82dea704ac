namespace RaftKV.StateMachine.Geo;

/// <summary>
/// One geohash cell: <see cref="Step"/> bits of latitude and of longitude interleaved in <see cref="Bits"/> (latitude on
/// the even bits, longitude on the odd ones, most significant first). Step 0 with bits 0 is the "no cell" value that a
/// search skips (a neighbor pruned as useless).
/// </summary>
internal readonly record struct GeoCell(ulong Bits, int Step)
{
    public static readonly GeoCell None = new(0, 0);

    public bool IsNone => Bits == 0 && Step == 0;

    /// <summary>The cell's first score at full precision (52 bits): its bits followed by zeros.</summary>
    public ulong FirstScore => Bits << (52 - (2 * Step));

    /// <summary>The first full-precision score after the cell (exclusive end of its score range).</summary>
    public ulong EndScore => (Bits + 1) << (52 - (2 * Step));
}
