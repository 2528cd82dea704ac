using System.Text;
using RaftKV.Node.Execution;
using RaftKV.Node.Tests.Infrastructure;
using RaftKV.Protocol.Replies;

namespace RaftKV.Node.Tests;

/// <summary>
/// A follower's run of relayed commands is answered on the relay's own thread, from the last command to the first, so
/// the session's reply loop, waiting for the first, resumes once with the whole run's replies (PipelinedConnectionTests
/// counts its hand-overs through a real follower).
/// </summary>
public sealed class ForwardRunTests
{
    [Fact]
    public async Task Complete_AnswersFromTheLastToTheFirst_BeforeItReturns()
    {
        var run = new ForwardRun();
        var order = new List<int>();
        var replies = new Task<Reply>[3];
        for (var i = 0; i < replies.Length; i++)
        {
            var at = i;
            replies[i] = run.Add([Encoding.ASCII.GetBytes("SET"), Encoding.ASCII.GetBytes($"k{i}"), Encoding.ASCII.GetBytes("v")]);
            _ = replies[i].ContinueWith(_ => order.Add(at), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        run.Complete([Reply.Ok, Reply.Integer(7), null], Reply.Error("ERR the relay failed"));

        // Each waiting continuation ran inside Complete (before, each was queued to the thread pool), the last first.
        Assert.Equal([2, 1, 0], order);
        Assert.Same(Reply.Ok, await replies[0]);
        Assert.Equal("7", (await replies[1]).Text());
        Assert.Equal("-ERR the relay failed", (await replies[2]).Text());
    }
}
