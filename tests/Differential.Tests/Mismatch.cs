using RaftKV.Differential.Tests.Infrastructure;

namespace RaftKV.Differential.Tests;

/// <summary>The first command whose replies differ, and the two replies.</summary>
internal sealed record Mismatch(int Index, RespValue Expected, RespValue Actual);
