using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using RaftKV.Grpc.V1;
using RaftKV.Integration.Tests.Infrastructure;

namespace RaftKV.Integration.Tests;

/// <summary>The gRPC Txn service (etcd's compare / success / failure) through Grpc.Net.Client against node processes.</summary>
[Collection(ProcessCollection.Name)]
public sealed class GrpcTxnTests
{
    private static ByteString B(string text) => ByteString.CopyFromUtf8(text);

    [Fact]
    public async Task Txn_RunsSuccessOrFailureByItsCompares_AsOneRevision()
    {
        await using var cluster = await ProcessCluster.StartAsync(1);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{cluster.Nodes[0].GrpcPort}");
        var txn = new Txn.TxnClient(channel);
        var kv = new Kv.KvClient(channel);
        var deadline = DateTime.UtcNow.AddMinutes(2);

        var created = await txn.CommitAsync(new TxnRequest
        {
            Compare = { new Compare { Key = B("a"), Exists = false } },
            Success = { Put("a", "1"), Put("b", "1") },
            Failure = { Get("a") },
        }, deadline: deadline);
        Assert.True(created.Succeeded);
        Assert.Equal([created.Revision, created.Revision], created.Responses.Select(static r => r.Put.ModRevision));

        var again = await txn.CommitAsync(new TxnRequest
        {
            Compare = { new Compare { Key = B("a"), Exists = false } },
            Success = { Put("a", "2") },
            Failure = { Get("a"), new RequestOp { Range = new RangeRequest { Prefix = B("") } } },
        }, deadline: deadline);
        Assert.False(again.Succeeded);
        Assert.Equal("1", again.Responses[0].Get.Value.ToStringUtf8());
        Assert.Equal(created.Revision, again.Responses[0].Get.ModRevision);
        Assert.Equal(["a", "b"], again.Responses[1].Range.Kvs.Select(static kv => kv.Key.ToStringUtf8()));

        var byValue = await txn.CommitAsync(new TxnRequest
        {
            Compare =
            {
                new Compare { Key = B("a"), Value = B("1") },
                new Compare { Key = B("b"), Result = Compare.Types.Result.Less, Value = B("2") },
                new Compare { Key = B("a"), Result = Compare.Types.Result.Equal, ModRevision = created.Revision },
            },
            Success = { new RequestOp { Delete = new DeleteRequest { Keys = { B("a"), B("b") }, PrevKvs = true } } },
        }, deadline: deadline);
        Assert.True(byValue.Succeeded);
        Assert.Equal(2, byValue.Responses[0].Delete.Deleted);
        Assert.Empty((await kv.RangeAsync(new RangeRequest(), deadline: deadline)).Kvs);

        var noTarget = await Assert.ThrowsAsync<RpcException>(async () =>
            await txn.CommitAsync(new TxnRequest { Compare = { new Compare { Key = B("a") } } }, deadline: deadline));
        Assert.Equal(StatusCode.InvalidArgument, noTarget.StatusCode);
        var badTtl = await Assert.ThrowsAsync<RpcException>(async () =>
            await txn.CommitAsync(new TxnRequest { Success = { new RequestOp { Put = new PutRequest { Key = B("k"), TtlMs = -1 } } } }, deadline: deadline));
        Assert.Equal(StatusCode.InvalidArgument, badTtl.StatusCode);
    }

    [Fact]
    public async Task CompareAndSwap_UnderContentionFromClientsOnEveryNode_LosesNoUpdate()
    {
        const int Clients = 4;
        const int Increments = 25;
        await using var cluster = await ProcessCluster.StartAsync();
        await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var channels = Enumerable.Range(0, Clients)
            .Select(i => GrpcChannel.ForAddress($"http://127.0.0.1:{cluster.Nodes[i % cluster.Nodes.Count].GrpcPort}")).ToList();
        try
        {
            var conflicts = await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => IncrementAsync(channels[c], c, Increments)));

            var kv = new Kv.KvClient(channels[0]);
            var counter = await kv.GetAsync(new GetRequest { Key = B("counter") }, deadline: DateTime.UtcNow.AddMinutes(1));
            Assert.Equal((Clients * Increments).ToString(CultureInfo.InvariantCulture), counter.Value.ToStringUtf8());
            var marks = await kv.RangeAsync(new RangeRequest { Prefix = B("mark/") }, deadline: DateTime.UtcNow.AddMinutes(1));
            Assert.Equal(Clients * Increments, marks.Kvs.Count);
            Assert.True(conflicts.Sum() > 0 || Clients == 1, "the clients never contended");
        }
        finally
        {
            foreach (var channel in channels)
                channel.Dispose();
        }
    }

    /// <summary>
    /// Read, then swap if the counter's mod revision is still the one read; each success also writes a mark of its own,
    /// so an unknown outcome is settled by reading the mark. Returns the number of lost compares.
    /// </summary>
    private static async Task<int> IncrementAsync(GrpcChannel channel, int client, int count)
    {
        var kv = new Kv.KvClient(channel);
        var txn = new Txn.TxnClient(channel);
        var conflicts = 0;
        for (var i = 0; i < count; i++)
        {
            var mark = $"mark/{client}/{i}";
            while (true)
            {
                var deadline = DateTime.UtcNow.AddMinutes(1);
                var current = await kv.GetAsync(new GetRequest { Key = B("counter") }, deadline: deadline);
                var value = current.Found ? long.Parse(current.Value.ToStringUtf8(), CultureInfo.InvariantCulture) : 0;
                try
                {
                    var result = await txn.CommitAsync(new TxnRequest
                    {
                        Compare = { new Compare { Key = B("counter"), ModRevision = current.ModRevision } },
                        Success = { Put("counter", (value + 1).ToString(CultureInfo.InvariantCulture)), Put(mark, "1") },
                    }, deadline: deadline);
                    if (result.Succeeded)
                        break;
                    conflicts++;
                }
                catch (RpcException e) when (e.StatusCode is StatusCode.Unknown or StatusCode.Unavailable)
                {
                    if ((await kv.GetAsync(new GetRequest { Key = B(mark) }, deadline: deadline)).Found)
                        break;
                }
            }
        }

        return conflicts;
    }

    private static RequestOp Put(string key, string value) => new() { Put = new PutRequest { Key = B(key), Value = B(value) } };

    private static RequestOp Get(string key) => new() { Get = new GetRequest { Key = B(key) } };
}
