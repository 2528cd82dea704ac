using System.Text;
using RaftKV.Chaos.History;
using RaftKV.Chaos.Nemeses;
using RaftKV.Chaos.Resp;
using RaftKV.Chaos.Running;

namespace RaftKV.Chaos.Tests;

public class HarnessPartsTests
{
    [Theory]
    [InlineData("CLUSTERDOWN No Raft leader", "write", "Fail")]
    [InlineData("CLUSTERDOWN The leader could not be reached", "append", "Fail")]
    [InlineData("CLUSTERDOWN The write was sent but its outcome is unknown (leadership changed or timed out)", "write", "Info")]
    [InlineData("ERR something odd", "incr", "Info")]
    [InlineData("CLUSTERDOWN The read could not be confirmed by a quorum", "read", "Fail")]
    public void ErrorReplies_AreFailOnlyWhenTheCommandCertainlyDidNotRun(string error, string f, string expected)
    {
        var invoke = new Op { Type = OpType.Invoke, F = f, Key = "k", Value = 1 };
        Assert.Equal(Enum.Parse<OpType>(expected), OpExecutor.Classify(invoke, error).Type);
    }

    [Fact]
    public void Encode_WritesRespArrayOfBulkStrings()
    {
        Assert.Equal("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n42\r\n", Encoding.UTF8.GetString(RespClient.Encode(["SET", "k", "42"])));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    public void RingPartition_LeavesEveryNodeAMajorityButNoCommonOne(int n)
    {
        var cuts = Partitions.Ring(Enumerable.Range(0, n).ToArray());
        Assert.NotEmpty(cuts);
        var sees = Enumerable.Range(0, n)
            .Select(i => Enumerable.Range(0, n).Where(j => j == i || !cuts.Contains((i, j)) && !cuts.Contains((j, i))).ToHashSet())
            .ToArray();
        Assert.All(sees.Where((_, i) => n > 3 || i != 2), s => Assert.True(s.Count >= n / 2 + 1));
        Assert.True(sees.Select(s => string.Join(",", s.Order())).Distinct().Count() > 1);
    }

    [Fact]
    public void HalfPartition_CutsEveryLinkAcross()
    {
        var cuts = Partitions.Split([0, 3], 5);
        Assert.Equal(6, cuts.Length);
        Assert.DoesNotContain((0, 3), cuts);
    }

    [Fact]
    public void History_RoundTripsBankAccountsAndMissingBalances()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var log = new HistoryLog(path, () => 5))
            {
                log.Append(new Op { Process = 0, Type = OpType.Invoke, Workload = "bank", F = "read", Key = "g", Accounts = ["g:0", "g:1"] });
                log.Append(new Op { Process = 0, Type = OpType.Ok, Workload = "bank", F = "read", Key = "g", Accounts = ["g:0", "g:1"], Balances = [null, -3] });
            }
            var ops = HistoryLog.Load(path);
            Assert.Equal(["g:0", "g:1"], ops[0].Accounts ?? []);
            Assert.Equal([null, -3L], ops[1].Balances ?? []);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void History_RoundTripsThroughJsonLines()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var log = new HistoryLog(path, () => 5))
            {
                log.Append(new Op { Process = 0, Type = OpType.Invoke, Workload = "list-append", F = "read", Key = "k" });
                log.Append(new Op { Process = 0, Type = OpType.Ok, Workload = "list-append", F = "read", Key = "k", Values = [1, 2] });
                log.Append(new Op { Process = Op.NemesisProcess, Type = OpType.Info, F = "kill", Note = "killed n1" });
            }
            var ops = HistoryLog.Load(path);
            Assert.Equal(3, ops.Count);
            Assert.Equal([1L, 2L], ops[1].Values ?? []);
            Assert.Equal(2, ops[2].Index);
            var pairs = HistoryLog.Pair(ops);
            Assert.Single(pairs);
            Assert.True(pairs[0].IsOk);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
