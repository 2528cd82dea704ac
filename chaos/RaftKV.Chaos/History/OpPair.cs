namespace RaftKV.Chaos.History;

/// <summary>An invocation and its completion. <see cref="Completion"/> is null when the run ended first (same as info).</summary>
internal sealed record OpPair(Op Invoke, Op? Completion)
{
    public OpType Outcome => Completion?.Type ?? OpType.Info;
    public bool IsOk => Outcome == OpType.Ok;
    public bool IsFail => Outcome == OpType.Fail;
    public bool IsInfo => Outcome == OpType.Info;

    /// <summary>Completion time; for an unknown outcome, the end of time.</summary>
    public long End => Outcome == OpType.Info ? long.MaxValue : Completion!.Time;
    public long Start => Invoke.Time;
    public string Key => Invoke.Key ?? "";
    public string F => Invoke.F;

    /// <summary>What the op sent: the written, appended or added value, or the increment.</summary>
    public long? Argument => Invoke.Value;

    /// <summary>What an ok op returned as a number: a read value, RPUSH's new length, INCRBY's new value.</summary>
    public long? Result => Completion?.Value;

    /// <summary>What an ok list or set read returned.</summary>
    public long[]? Results => Completion?.Values;

    public override string ToString() =>
        $"#{Invoke.Index} p{Invoke.Process} {F} {Key} {Invoke.Owner ?? ""}{(Invoke.Owner is null ? "" : " ")}{Invoke.Text ?? Argument?.ToString() ?? ""} " +
        $"-> {Outcome.ToString().ToLowerInvariant()} " +
        (Results is not null ? "[" + string.Join(" ", Results) + "]" : Completion?.Texts is { } texts ? "[" + string.Join(" ", texts) + "]" : Result?.ToString() ?? "") +
        (Completion?.Error is { } e ? " (" + e + ")" : "");
}
