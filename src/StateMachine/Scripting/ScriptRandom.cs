namespace RaftKV.StateMachine.Scripting;

/// <summary>
/// math.random's generator: the 48-bit linear congruential generator of POSIX drand48, so that math.randomseed(n)
/// gives the same sequence on every replica and every platform. Each run starts from the log entry's seed.
/// </summary>
internal sealed class ScriptRandom(ulong seed)
{
    private const ulong Multiplier = 0x5DEECE66DUL;
    private const ulong Increment = 0xB;
    private const ulong Mask = (1UL << 48) - 1;

    private ulong _state = seed & Mask;

    /// <summary>As srand48: the high 32 bits from <paramref name="seed"/>, the low 16 bits 0x330E.</summary>
    public void Seed(long seed) => _state = ((((ulong)seed) & 0xFFFFFFFFUL) << 16 | 0x330E) & Mask;

    /// <summary>A number in [0, 1) from the next 31 bits, as Redis's math.random (lrand48 / 2^31).</summary>
    public double NextDouble()
    {
        _state = (_state * Multiplier + Increment) & Mask;
        var value = (long)(_state >> 17);
        return value % int.MaxValue / (double)int.MaxValue;
    }
}
